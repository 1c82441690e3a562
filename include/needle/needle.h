// The umbrella header: everything a program needs, in namespace needle
// (users write `namespace ndl = needle;`).
#pragma once

#include "needle/backend.h"
#include "needle/device.h"
#include "needle/dtype.h"
#include "needle/error.h"
#include "needle/ndarray.h"
#include "needle/random.h"
#include "needle/shape.h"
