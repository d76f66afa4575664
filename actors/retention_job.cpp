#include "actors/retention_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>

#include "actors/messages.hpp"
#include "actors/system_tenant.hpp"

namespace bulwark::actors {
namespace {

using tick_atom = caf::atom_constant<caf::atom("retain")>;

struct RunState {
  std::uint64_t run = 0;
  bool running = false;
  std::string owner;
  std::uint64_t token = 0;
  std::deque<std::string> tenants;  // still to visit in this run
};

struct Job {
  caf::event_based_actor* self;
  NodeContext* context;
  caf::actor registry;
  std::shared_ptr<RunState> state;

  const RetentionOptions& options() const { return context->options.retention; }

  std::chrono::milliseconds window_of(const std::string& tenant) const {
    auto it = options().window_by_tenant.find(tenant);
    return it == options().window_by_tenant.end() ? options().window_default : it->second;
  }

  // Sends a lease command to the system tenant and calls `done` with its reply.
  template <typename Done>
  void ask_system(domain::LeaseCommand command, const std::string& step, Done done) const {
    RequestContext request{system_tenant, state->owner,
                           "retention:" + std::to_string(state->run) + ":" + step};
    CommandEnvelope envelope{std::move(request), domain::Command{std::move(command)}};
    self->request(registry, context->options.request_timeout, command_atom::value,
                  std::move(envelope))
        .then([done](Reply& reply) mutable { done(std::move(reply)); },
              [done, self = self](caf::error& error) mutable {
                Reply reply;
                reply.status = Reply::Status::unavailable;
                reply.error = self->system().render(error);
                done(std::move(reply));
              });
  }

  void start() const {
    if (state->running) {
      spdlog::warn("retention_skipped run={} reason=\"the previous run has not finished\"",
                   state->run);
      return;
    }
    state->running = true;
    state->run++;
    auto ttl_ms = static_cast<std::int64_t>(options().lease_ttl.count());
    Job job = *this;
    ask_system(domain::AcquireLease{retention_job_name, state->owner, ttl_ms}, "acquire",
               [job](Reply reply) { job.on_acquired(std::move(reply)); });
  }

  void on_acquired(Reply reply) const {
    if (reply.status != Reply::Status::ok) {
      spdlog::info("retention_lease_unavailable run={} owner={} reason=\"{}\"", state->run,
                   state->owner, describe(reply));
      finish();
      return;
    }
    state->token = reply.body.value("token", std::uint64_t{0});
    auto tenants = context->journal->list_tenants();
    if (!tenants.ok()) {
      spdlog::error("retention_failed run={} error=\"{}\"", state->run, tenants.error());
      release();
      return;
    }
    state->tenants.assign(tenants.value().begin(), tenants.value().end());
    // NOTE: the system tenant is skipped, so its stream of lease events (two per run) is kept.
    state->tenants.erase(
        std::remove(state->tenants.begin(), state->tenants.end(), std::string(system_tenant)),
        state->tenants.end());
    spdlog::info("retention_started run={} owner={} token={} tenants={}", state->run,
                 state->owner, state->token, state->tenants.size());
    next_tenant();
  }

  void next_tenant() const {
    if (state->tenants.empty()) {
      release();
      return;
    }
    std::string tenant = state->tenants.front();
    state->tenants.pop_front();

    // Without events older than the window past the first retained seq there is nothing to
    // delete, so the tenant actor is neither woken nor asked for a snapshot.
    auto cutoff = context->now() - window_of(tenant);
    auto candidate = context->journal->last_seq_before(tenant, cutoff, UINT64_MAX);
    auto first_retained = context->journal->first_retained_seq(tenant);
    if (candidate.ok() && first_retained.ok() && candidate.value() < first_retained.value()) {
      spdlog::debug("retention_nothing_to_delete tenant={} first_retained_seq={}", tenant,
                    first_retained.value());
      next_tenant();
      return;
    }

    Job job = *this;
    self->request(registry, context->options.request_timeout, snapshot_atom::value, tenant)
        .then([job, tenant](SnapshotOutcome& outcome) { job.on_snapshot(tenant, outcome); },
              [job, tenant](caf::error& error) {
                job.on_snapshot(tenant,
                                SnapshotOutcome{false, 0, job.self->system().render(error)});
              });
  }

  void on_snapshot(const std::string& tenant, const SnapshotOutcome& outcome) const {
    if (!outcome.ok) {
      spdlog::warn("retention_snapshot_failed tenant={} error=\"{}\"", tenant, outcome.error);
      next_tenant();
      return;
    }
    auto cutoff = context->now() - window_of(tenant);
    auto through = context->journal->last_seq_before(tenant, cutoff, outcome.seq);
    auto first_retained = context->journal->first_retained_seq(tenant);
    if (!through.ok() || !first_retained.ok()) {
      spdlog::warn("retention_boundary_failed tenant={} error=\"{}\"", tenant,
                   through.ok() ? first_retained.error() : through.error());
      next_tenant();
      return;
    }
    if (outcome.seq == 0 || through.value() < first_retained.value()) {
      spdlog::debug("retention_nothing_to_delete tenant={} snapshot_seq={} first_retained_seq={}",
                    tenant, outcome.seq, first_retained.value());
      next_tenant();
      return;
    }

    domain::RetentionApplied record{retention_job_name, state->owner, state->token, tenant,
                                    outcome.seq, through.value() + 1, 0};
    Job job = *this;
    ask_system(domain::RecordRetention{record}, "commit:" + tenant,
               [job, record](Reply reply) { job.on_committed(record, std::move(reply)); });
  }

  void on_committed(const domain::RetentionApplied& record, Reply reply) const {
    if (reply.status == Reply::Status::ok) {
      // The system tenant logged retention_done with the count when it deleted the prefix.
      next_tenant();
      return;
    }
    bool fenced = reply.rejection && (reply.rejection->code == domain::RejectionCode::lease_fenced ||
                                      reply.rejection->code == domain::RejectionCode::lease_expired);
    if (fenced) {
      // Another owner holds the lease now, so this run must not write anything more.
      spdlog::warn("retention_fenced run={} tenant={} token={} reason=\"{}\"", state->run,
                   record.tenant, record.token, describe(reply));
      finish();
      return;
    }
    spdlog::warn("retention_commit_failed tenant={} reason=\"{}\"", record.tenant, describe(reply));
    next_tenant();
  }

  // NOTE: the lease is not renewed during a run, so a run longer than --retention-lease-ttl is
  // fenced at its next commit and the remaining tenants wait for the next run.
  void release() const {
    Job job = *this;
    ask_system(domain::ReleaseLease{retention_job_name, state->owner, state->token}, "release",
               [job](Reply reply) {
                 if (reply.status != Reply::Status::ok) {
                   spdlog::warn("retention_release_failed run={} reason=\"{}\"", job.state->run,
                                describe(reply));
                 }
                 job.finish();
               });
  }

  void finish() const {
    state->running = false;
    spdlog::debug("retention_finished run={}", state->run);
  }

  static std::string describe(const Reply& reply) {
    if (reply.rejection) {
      return std::string(domain::to_string(reply.rejection->code)) + ": " +
             reply.rejection->message;
    }
    return reply.error;
  }
};

}  // namespace

caf::behavior retention_job(caf::event_based_actor* self, NodeContext* context,
                            caf::actor registry) {
  auto state = std::make_shared<RunState>();
  // The incarnation makes the owner unique per process, so a restarted node never mistakes the
  // lease of its previous life for its own.
  state->owner = "node-" + std::to_string(context->epoch);
  Job job{self, context, std::move(registry), state};
  auto interval = context->options.retention.interval;
  spdlog::info("retention_job_started owner={} interval_ms={} window_default_ms={}", state->owner,
               interval.count(), context->options.retention.window_default.count());
  self->delayed_send(self, interval, tick_atom::value);
  return {
      [=](tick_atom) {
        job.start();
        self->delayed_send(self, interval, tick_atom::value);
      },
  };
}

}  // namespace bulwark::actors
