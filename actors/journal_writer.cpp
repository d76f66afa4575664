#include "actors/journal_writer.hpp"

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace bulwark::actors {
namespace {

struct PendingAppend {
  AppendJob job;
  caf::response_promise promise;
};

struct WriterState {
  std::vector<PendingAppend> pending;
  bool flush_queued = false;
};

void flush(NodeContext* context, WriterState& state) {
  state.flush_queued = false;
  if (state.pending.empty()) return;

  std::vector<PendingAppend> batch;
  if (state.pending.size() <= append_jobs_per_batch_max) {
    batch.swap(state.pending);
  } else {
    auto split = state.pending.begin() + append_jobs_per_batch_max;
    batch.assign(std::make_move_iterator(state.pending.begin()), std::make_move_iterator(split));
    state.pending.erase(state.pending.begin(), split);
  }

  std::vector<persistence::AppendRequest> requests;
  requests.reserve(batch.size());
  std::size_t event_count = 0;
  for (auto& item : batch) {
    event_count += item.job.events.size();
    requests.push_back(persistence::AppendRequest{item.job.tenant, item.job.epoch,
                                                  item.job.prev_hash, item.job.events});
  }

  auto results = context->journal->append_batch(requests);
  context->counters.append_batches_total++;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    AppendOutcome outcome;
    const auto& result = results[i];
    outcome.ok = result.ok();
    if (outcome.ok) {
      outcome.chain_head = result.chain_head;
      context->counters.events_appended_total += batch[i].job.events.size();
    } else {
      outcome.error = result.message;
      spdlog::error("journal_append_rejected tenant={} error=\"{}\"", batch[i].job.tenant,
                    result.message);
    }
    batch[i].promise.deliver(std::move(outcome));
  }
  spdlog::trace("journal_flush jobs={} events={}", batch.size(), event_count);
}

}  // namespace

caf::behavior journal_writer(caf::event_based_actor* self, NodeContext* context) {
  auto state = std::make_shared<WriterState>();
  return {
      [=](append_atom, AppendJob& job) {
        state->pending.push_back(PendingAppend{std::move(job), self->make_response_promise()});
        if (!state->flush_queued) {
          state->flush_queued = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) {
        flush(context, *state);
        if (!state->pending.empty() && !state->flush_queued) {
          state->flush_queued = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](snapshot_atom, SnapshotJob& job) {
        auto written = context->journal->write_snapshot(job.tenant, job.seq, job.chain_head,
                                                        job.state);
        if (!written.ok()) {
          spdlog::warn("snapshot_failed tenant={} seq={} error=\"{}\"", job.tenant, job.seq,
                       written.error());
          return;
        }
        spdlog::debug("snapshot_written tenant={} seq={}", job.tenant, job.seq);
      },
  };
}

}  // namespace bulwark::actors
