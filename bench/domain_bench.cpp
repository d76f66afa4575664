// In-process micro-benchmarks: the pure decide + apply loop, and journal appends with fsync at a
// few group-commit batch sizes. Run: build/bench/domain_bench (see bench/RESULTS.md).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "domain/decide.hpp"
#include "domain/state.hpp"
#include "persistence/journal.hpp"

namespace {

using namespace bulwark;

domain::TimePoint bench_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// Applies the decision's events with the next seqs, as a tenant actor does after the append.
void apply_all(domain::TenantState& state, const domain::Decision& decision,
               domain::TimePoint now) {
  for (const domain::EventData& data : decision.events) {
    domain::Event event{state.last_seq + 1, now, "bench", "", data};
    domain::apply(state, event);
  }
}

// One reserve and one commit per iteration against a budget that never runs out.
void BM_DecideApplyReserveCommit(benchmark::State& bench) {
  domain::TimePoint now = bench_now();
  domain::TenantState state;
  domain::Decision budget =
      domain::decide(state, domain::SetBudget{domain::amount_minor_max, "USD", "UTC"}, now);
  apply_all(state, budget, now);

  std::uint64_t i = 0;
  for (auto _ : bench) {
    std::string id = "r-" + std::to_string(i++);
    domain::Decision reserved = domain::decide(state, domain::Reserve{id, 100, 300}, now);
    if (reserved.rejection)
      throw std::logic_error("reserve rejected: " + reserved.rejection->message);
    apply_all(state, reserved, now);
    domain::Decision committed = domain::decide(state, domain::Commit{id, 90}, now);
    if (committed.rejection) throw std::logic_error("commit rejected");
    apply_all(state, committed, now);
  }
  bench.SetItemsProcessed(static_cast<std::int64_t>(i) * 2);
}
BENCHMARK(BM_DecideApplyReserveCommit);

// Appends one spend_reserved event for each of `batch` tenants per call, as one group commit.
// Arguments: batch size, and 1 for sync=true (fsync per call) or 0 for sync=false.
void BM_JournalAppend(benchmark::State& bench) {
  std::size_t batch = static_cast<std::size_t>(bench.range(0));
  bool sync = bench.range(1) != 0;
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "bulwark-bench-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  std::filesystem::path dir = dir_template;

  persistence::JournalOptions options;
  options.sync_writes = sync;
  auto opened = persistence::Journal::open((dir / "journal").string(), options);
  if (!opened.ok()) throw std::runtime_error("journal open failed: " + opened.error());
  std::unique_ptr<persistence::Journal> journal = std::move(opened).value();
  std::uint64_t epoch = journal->node_incarnation();

  std::vector<persistence::AppendRequest> requests(batch);
  for (std::size_t t = 0; t < batch; ++t) {
    requests[t].tenant = "bench-" + std::to_string(t);
    requests[t].writer_epoch = epoch;
    requests[t].prev_hash = persistence::genesis_hash();
  }
  domain::TimePoint now = bench_now();
  std::uint64_t seq = 0;
  for (auto _ : bench) {
    ++seq;
    for (auto& request : requests) {
      domain::SpendReserved reserved{"r-" + std::to_string(seq),      100, "2026-12-04",
                                     now + std::chrono::seconds(300), 300, ""};
      request.events = {domain::Event{seq, now, "bench", "", reserved}};
    }
    std::vector<persistence::AppendResult> results = journal->append_batch(requests);
    for (std::size_t t = 0; t < batch; ++t) {
      if (!results[t].ok()) throw std::runtime_error("append failed: " + results[t].message);
      requests[t].prev_hash = results[t].chain_head;
    }
  }
  bench.SetItemsProcessed(static_cast<std::int64_t>(seq * batch));

  journal.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_JournalAppend)
    ->ArgNames({"batch", "sync"})
    ->Args({1, 1})
    ->Args({16, 1})
    ->Args({64, 1})
    ->Args({1, 0})
    ->Args({64, 0})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

// The journal logs every open and close, which would interleave with the benchmark table.
int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
