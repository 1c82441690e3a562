// Checkpoints under faults: a writer killed with SIGKILL at random moments of repeated saves
// always leaves the previous checkpoint loadable, and a save that cannot be written (a full file
// system, a read-only one, a place where no file can be made) is an IOError that leaves the old
// file as it was.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "needle/needle.h"
#include "nn/nn_test_util.h"

namespace ndl = needle;
namespace fs = std::filesystem;

namespace {

class CheckpointFault : public nn_test::TempDirTest {};

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Two checkpoints of one layout with different contents; a loaded file must be all of one.
ndl::NamedArrays version(int parity, int64_t floats) {
  return {{"weight", ndl::NDArray::full({floats}, parity == 0 ? 1.0 : 2.0)},
          {"bias", ndl::NDArray::full({3}, parity == 0 ? -1.0 : -2.0)}};
}

TEST_F(CheckpointFault, KilledWriterAlwaysLeavesALoadableCheckpoint) {
  constexpr int kTrials = 40;
  constexpr int64_t kFloats = 64 * 1024;  // 256 KB, so that a kill often lands inside a write
  const std::string target = path("model.safetensors");
  // Made before fork: the child only writes, so it needs no thread pool (not fork-safe).
  const ndl::NamedArrays versions[2] = {version(0, kFloats), version(1, kFloats)};
  ndl::save_safetensors(target, versions[0], {{"version", "0"}});

  std::mt19937 rng(12345);  // the same "random" moments each run
  std::uniform_int_distribution<int> delay_us(0, 20000);
  long last = 0;
  int interrupted = 0;  // trials whose last save had not finished
  for (int trial = 0; trial < kTrials; ++trial) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0) << std::strerror(errno);
    if (child == 0) {
      // Saves versions last+1, last+2, ... until killed (or, as a bound, 100,000 saves).
      for (long v = last + 1; v < last + 100000; ++v) {
        ndl::save_safetensors(target, versions[v % 2], {{"version", std::to_string(v)}});
      }
      ::_exit(0);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended before it was killed";

    ndl::SafetensorsFile file;
    ASSERT_NO_THROW(file = ndl::load_safetensors(target)) << "trial " << trial;
    const long v = std::stol(file.metadata.at("version"));
    EXPECT_GE(v, last) << "trial " << trial << ": an older checkpoint came back";
    ASSERT_EQ(file.tensors.size(), 2u);
    EXPECT_EQ(file.tensors[0].second.to_vector<float>(),
              versions[v % 2][0].second.to_vector<float>())
        << "trial " << trial << ": version " << v << " is not the one its metadata names";
    EXPECT_EQ(file.tensors[1].second.to_vector<float>(),
              versions[v % 2][1].second.to_vector<float>());
    last = v;
    for (const auto& entry : fs::directory_iterator(dir_))
      interrupted += entry.path().filename() != "model.safetensors";
  }
  // Kills that land inside a save leave its temporary behind, which the next save removes (its
  // writer is gone). Some must have, or the trials never hit a write.
  std::printf("%d kill trials, %d inside a save, %ld saves completed\n", kTrials, interrupted,
              last);
  EXPECT_GT(interrupted, 0) << "no kill landed inside a save";
  EXPECT_GT(last, 0) << "no save ever finished: the trials tested nothing";
  ndl::save_safetensors(target, versions[0], {{"version", "final"}});
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(CheckpointFault, SaveWhereNoFileCanBeMadeIsAnIOErrorNamingThePath) {
  // /proc/self takes no new files, whoever asks (root included).
  const std::string target = "/proc/self/needle.safetensors";
  try {
    ndl::save_safetensors(target, version(0, 4));
    FAIL() << "expected IOError";
  } catch (const ndl::IOError& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/self"), std::string::npos) << e.what();
  }
}

// Runs `fn` in a child process with a private mount namespace (so its mounts vanish with it),
// and returns what it wrote to its pipe; `skip` gets the reason when the machine does not allow
// mounting (not root, or a container without the capability).
template <typename Fn>
std::string in_mount_namespace(Fn&& fn, std::string& skip) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    std::string out;
    if (::unshare(CLONE_NEWNS) != 0) {
      out = std::string("SKIP unshare(CLONE_NEWNS): ") + std::strerror(errno);
    } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      out = std::string("SKIP making mounts private: ") + std::strerror(errno);
    } else {
      try {
        out = fn();
      } catch (const std::exception& e) {
        out = std::string("the child threw: ") + e.what();
      }
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;)
    out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (out.rfind("SKIP ", 0) == 0) skip = out.substr(5);
  return out;
}

// In the child: `target` holds a small checkpoint; saving `next` there must throw IOError and
// leave it byte for byte, with no temporary left. Returns "" or what went wrong.
std::string expect_failed_save(const std::string& target, const ndl::NamedArrays& next,
                               const std::string& expected_reason) {
  const std::string before = file_bytes(target);
  try {
    ndl::save_safetensors(target, next);
    return "the save succeeded";
  } catch (const ndl::IOError& e) {
    const std::string msg = e.what();
    if (msg.find(target) == std::string::npos &&
        msg.find(fs::path(target).parent_path()) == std::string::npos) {
      return "the message names no path: " + msg;
    }
    if (msg.find(expected_reason) == std::string::npos) {
      return "the message does not say '" + expected_reason + "': " + msg;
    }
  } catch (const std::exception& e) {
    return std::string("not an IOError: ") + e.what();
  }
  if (file_bytes(target) != before) return "the old checkpoint changed";
  int files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(target).parent_path())) {
    (void)entry;
    ++files;
  }
  if (files != 1) return "a temporary file was left behind";
  return "";
}

TEST_F(CheckpointFault, FullFileSystemIsAnIOErrorAndKeepsTheOldFile) {
  const std::string mnt = path("tiny");
  fs::create_directories(mnt);
  const ndl::NamedArrays old_state = version(0, 4), big = version(1, 64 * 1024);
  std::string skip;
  const std::string result = in_mount_namespace(
      [&]() -> std::string {
        // 64 KiB of tmpfs: the old checkpoint fits, the new 256 KB one does not.
        if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0) {
          return std::string("SKIP mounting a tmpfs: ") + std::strerror(errno);
        }
        const std::string target = mnt + "/model.safetensors";
        ndl::save_safetensors(target, old_state);
        return expect_failed_save(target, big, "No space left on device");
      },
      skip);
  if (!skip.empty()) GTEST_SKIP() << "cannot make a full file system here: " << skip;
  EXPECT_EQ(result, "");
}

TEST_F(CheckpointFault, ReadOnlyFileSystemIsAnIOErrorAndKeepsTheOldFile) {
  const std::string dir = path("ro");
  fs::create_directories(dir);
  const ndl::NamedArrays old_state = version(0, 4), next = version(1, 4);
  ndl::save_safetensors(dir + "/model.safetensors", old_state);
  std::string skip;
  const std::string result = in_mount_namespace(
      [&]() -> std::string {
        // A read-only bind mount of the folder: root cannot write through it either.
        if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
            ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) !=
                0) {
          return std::string("SKIP a read-only bind mount: ") + std::strerror(errno);
        }
        return expect_failed_save(dir + "/model.safetensors", next, "Read-only file system");
      },
      skip);
  if (!skip.empty()) GTEST_SKIP() << "cannot make a read-only file system here: " << skip;
  EXPECT_EQ(result, "");
}

}  // namespace
