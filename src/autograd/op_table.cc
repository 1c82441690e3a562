// The op table's storage; entries are registered by the op files next to each op.
#include "needle/op_table.h"

#include <utility>

namespace needle {
namespace {
// A function-local static, so registrars in other files may run in any order.
std::vector<OpCase>& table() {
  static std::vector<OpCase> cases;
  return cases;
}
}  // namespace

const std::vector<OpCase>& op_table() {
  return table();
}

void register_op_case(OpCase op_case) {
  table().push_back(std::move(op_case));
}

}  // namespace needle
