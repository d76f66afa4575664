// Peak memory of retention over one tenant with 100,000 events, side by side with loading the
// same events. Each operation runs in its own forked process on its own fresh journal, and
// reports the process's peak RSS (VmHWM from /proc/self/status) after opening the journal and
// after the operation, so the difference is what the operation itself needed.
//
// Usage: retention_memory_bench [EVENTS]   (default 100000)
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "domain/state.hpp"
#include "persistence/journal.hpp"

namespace {

using bulwark::persistence::AppendRequest;
using bulwark::persistence::Journal;

constexpr const char* tenant = "bench";
constexpr std::size_t events_per_append = 1000;

// Returns a field of /proc/self/status in KiB, such as "VmHWM" or "VmRSS".
long status_kib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "retention_memory_bench: " << message << "\n";
  std::exit(1);
}

// Writes `count` events of about 250 bytes each, all older than any retention cutoff.
void write_events(const std::string& path, std::uint64_t count) {
  auto opened = Journal::open(path, {false, 1000, {}});
  if (!opened.ok()) fail(opened.error());
  auto& journal = *opened.value();
  auto ts = bulwark::domain::from_unix_ms(1'700'000'000'000);
  std::string head = bulwark::persistence::genesis_hash();
  std::string reason(200, 'x');
  for (std::uint64_t first = 1; first <= count; first += events_per_append) {
    std::vector<bulwark::domain::Event> batch;
    for (std::uint64_t seq = first; seq < first + events_per_append && seq <= count; ++seq) {
      batch.push_back({seq, ts, "bench", "bench", bulwark::domain::ActionFailed{"a-1", reason}});
    }
    auto results = journal.append_batch({AppendRequest{tenant, 1, head, std::move(batch)}});
    if (!results.at(0).ok()) fail(results.at(0).message);
    head = results.at(0).chain_head;
  }
  // The snapshot retention takes first: a small state standing in for the tenant's real one.
  bulwark::domain::TenantState state;
  state.last_seq = count;
  auto written = journal.write_snapshot(tenant, count, head, bulwark::domain::state_to_json(state));
  if (!written.ok()) fail(written.error());
}

// Runs `operation` in a child process on a fresh journal and prints one result row.
template <typename Operation>
void measure(const char* name, std::uint64_t count, Operation operation) {
  char dir_template[] = "/tmp/bulwark-retention-bench-XXXXXX";
  if (!mkdtemp(dir_template)) fail("mkdtemp failed");
  std::string path = std::string(dir_template) + "/journal";

  pid_t writer = fork();
  if (writer == 0) {
    write_events(path, count);
    std::_Exit(0);
  }
  int status = 0;
  waitpid(writer, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("writing the events failed");

  pid_t child = fork();
  if (child == 0) {
    auto opened = Journal::open(path);
    if (!opened.ok()) fail(opened.error());
    long before = status_kib("VmHWM");
    std::string detail = operation(*opened.value());
    long after = status_kib("VmHWM");
    std::printf("%-28s events=%-8llu VmHWM_before_kib=%-8ld VmHWM_after_kib=%-8ld growth_kib=%-8ld %s\n",
                name, static_cast<unsigned long long>(count), before, after, after - before,
                detail.c_str());
    std::fflush(stdout);
    std::_Exit(0);
  }
  waitpid(child, &status, 0);
  std::string cleanup = std::string("rm -rf ") + dir_template;
  if (std::system(cleanup.c_str()) != 0) std::cerr << "could not remove " << dir_template << "\n";
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail(std::string(name) + " failed");
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100'000;
  if (count < 2) fail("EVENTS must be at least 2");

  measure("retention_range_delete", count, [count](Journal& journal) {
    auto cutoff = bulwark::domain::from_unix_ms(1'800'000'000'000);
    auto through = journal.last_seq_before(tenant, cutoff, count);
    if (!through.ok()) fail(through.error());
    auto deleted = journal.delete_events_through(tenant, through.value());
    if (!deleted.ok()) fail(deleted.error());
    return "deleted=" + std::to_string(deleted.value());
  });
  measure("load_all_events", count, [](Journal& journal) {
    auto events = journal.read_events(tenant, 0, SIZE_MAX);
    if (!events.ok()) fail(events.error());
    return "loaded=" + std::to_string(events.value().size());
  });
  return 0;
}
