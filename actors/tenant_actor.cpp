#include "actors/tenant_actor.hpp"

#include <spdlog/spdlog.h>

#include "actors/integration_hooks.hpp"
#include "actors/messages.hpp"
#include "actors/push_hooks.hpp"
#include "actors/retention_job.hpp"
#include "actors/system_tenant.hpp"
#include "actors/webhook_hooks.hpp"
#include "domain/decide.hpp"
#include "domain/outbox.hpp"
#include "domain/views.hpp"
#include "domain/webhooks.hpp"

namespace bulwark::actors {
namespace {

using Self = caf::stateful_actor<TenantActorState>;
using nlohmann::json;

// Principal recorded on events that the node itself causes, such as reservation expiry.
constexpr const char* system_principal = "system";

Reply rejected_reply(const domain::Rejection& rejection) {
  Reply reply;
  reply.status = Reply::Status::rejected;
  reply.rejection = rejection;
  return reply;
}

Reply failure_reply(Reply::Status status, std::string error) {
  Reply reply;
  reply.status = status;
  reply.error = std::move(error);
  return reply;
}

Reply outcome_reply(const TenantActorState& st, const domain::Command& command,
                    const std::optional<domain::Rejection>& rejection, domain::TimePoint now) {
  if (rejection) return rejected_reply(*rejection);
  Reply reply;
  reply.created = domain::creates_entity(command);
  reply.body = domain::outcome_view(st.state, command, now);
  return reply;
}

void recover(Self* self, NodeContext* context) {
  auto& st = self->state;
  st.state = domain::TenantState{};
  st.snapshot_seq = 0;
  st.chain_head.clear();
  st.recovery_error.clear();
  auto started = std::chrono::steady_clock::now();
  auto loaded = context->journal->load_tenant(st.tenant);
  if (!loaded.ok()) {
    st.recovery_error = loaded.error();
    spdlog::error("tenant_recovery_failed tenant={} error=\"{}\"", st.tenant, st.recovery_error);
    sync_customer_directory(context, st.tenant, nullptr);
    return;
  }
  try {
    const auto& data = loaded.value();
    if (data.snapshot) {
      st.state = domain::state_from_json(data.snapshot->state);
      st.snapshot_seq = data.snapshot->seq;
    }
    for (const auto& event : data.events) domain::apply(st.state, event);
    st.chain_head = data.chain_head;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    context->counters.recoveries_total++;
    spdlog::info("tenant_recovered tenant={} snapshot_seq={} events={} last_seq={} ms={}",
                 st.tenant, st.snapshot_seq, data.events.size(), st.state.last_seq, ms);
    sync_customer_directory(context, st.tenant, &st.state);
    announce_integrations(context, st.tenant, st.state);
    push_recovered(context, st.tenant, st.state);
  } catch (const std::exception& e) {
    st.recovery_error = e.what();
    spdlog::error("tenant_recovery_failed tenant={} error=\"{}\"", st.tenant, e.what());
    sync_customer_directory(context, st.tenant, nullptr);
  }
}

// Arms the expiry timer of one open reservation. A timer that fires early is re-armed by the
// expire handler, so clock skew between timer and wall clock only delays expiry.
void arm_expiry(Self* self, NodeContext* context, const domain::Reservation& reservation) {
  auto delay = reservation.expires_at - context->now();
  if (delay < std::chrono::milliseconds(0)) delay = std::chrono::milliseconds(0);
  self->delayed_send(self, delay, expire_atom::value, reservation.id);
}

void arm_all_expiries(Self* self, NodeContext* context) {
  for (const auto& [id, reservation] : self->state.state.reservations) {
    if (reservation.status == domain::ReservationStatus::open) {
      arm_expiry(self, context, reservation);
    }
  }
}

void maybe_snapshot(Self* self, NodeContext* context) {
  auto& st = self->state;
  if (st.state.last_seq - st.snapshot_seq < context->options.snapshot_every_events) return;
  SnapshotJob job{st.tenant, st.state.last_seq, st.chain_head, domain::state_to_json(st.state)};
  st.snapshot_seq = st.state.last_seq;
  self->send(context->writer, snapshot_atom::value, std::move(job));
}

// Drops the in-memory state and rebuilds it from the journal, after an append whose outcome is
// unknown or failed, so the actor never decides against events that may not be durable.
void restart_from_journal(Self* self, NodeContext* context) {
  spdlog::warn("tenant_restarting tenant={} last_seq={}", self->state.tenant,
               self->state.state.last_seq);
  recover(self, context);
  arm_all_expiries(self, context);
}

std::vector<domain::Event> number_events(const TenantActorState& st,
                                         std::vector<domain::EventData> data,
                                         const RequestContext& request, domain::TimePoint now) {
  std::vector<domain::Event> events;
  events.reserve(data.size());
  std::uint64_t seq = st.state.last_seq;
  for (auto& item : data) {
    events.push_back(domain::Event{++seq, now, request.principal, request.request_id,
                                   std::move(item)});
    domain::stamp_idempotency_key(events.back().data, st.tenant, seq);
  }
  return events;
}

// Charges a limited command to the tenant's rate limits in the same turn as its decision and
// before any append, so every gateway and connection draws on one allowance and a limited request
// writes nothing. A repeat that changes nothing (the same approval again, or an idempotent request
// whose first outcome exists) is answered from the state without using allowance. Other
// rejections, such as an invalid transition, do use it, so probing is limited too.
std::optional<domain::Rejection> charge_rate_limits(TenantActorState& st,
                                                    const RequestContext& request,
                                                    const domain::Command& command,
                                                    const domain::Decision& decision,
                                                    domain::TimePoint now) {
  bool changes_nothing = decision.events.empty() && !decision.rejection;
  if (changes_nothing) return std::nullopt;
  return domain::charge_rate_limits(st.rate_limiter, domain::effective_rate_limits(st.state),
                                    command, st.tenant, request.principal, now);
}

// Decides one command and replies through `respond`. When the decision has events, the actor
// appends them and waits for the writer (await), so no other message is handled in between.
using Respond = std::function<void(Reply)>;

void handle_command(Self* self, NodeContext* context, const RequestContext& request,
                    const domain::Command& command, Respond respond) {
  auto& st = self->state;
  st.last_activity = std::chrono::steady_clock::now();
  context->counters.commands_total++;
  if (!st.recovery_error.empty()) {
    respond(failure_reply(Reply::Status::internal,
                                  "tenant journal failed to recover: " + st.recovery_error));
    return;
  }

  if (auto misrouted = check_system_routing(st.tenant, command)) {
    respond(rejected_reply(*misrouted));
    return;
  }
  if (auto conflict = claim_stripe_customers(context, st.tenant, command)) {
    respond(rejected_reply(*conflict));
    return;
  }

  auto now = context->now();
  domain::Decision decision = domain::decide(st.state, command, now);
  if (auto limited = charge_rate_limits(st, request, command, decision, now)) {
    respond(rejected_reply(*limited));
    return;
  }
  if (decision.events.empty()) {
    respond(outcome_reply(st, command, decision.rejection, now));
    return;
  }
  if (auto failed = perform_fenced_work(context, decision.events)) {
    respond(std::move(*failed));
    return;
  }

  AppendJob job{st.tenant, context->epoch, st.chain_head,
                number_events(st, std::move(decision.events), request, now)};
  auto events = job.events;
  auto rejection = decision.rejection;
  self->request(context->writer, context->options.request_timeout, append_atom::value,
                std::move(job))
      .await(
          [=](AppendOutcome& outcome) mutable {
            auto& st = self->state;
            if (!outcome.ok) {
              spdlog::error("tenant_append_failed tenant={} seq={} error=\"{}\"", st.tenant,
                            events.front().seq, outcome.error);
              respond(failure_reply(Reply::Status::unavailable, outcome.error));
              restart_from_journal(self, context);
              return;
            }
            for (const auto& event : events) domain::apply(st.state, event);
            st.chain_head = outcome.chain_head;
            update_customer_directory(context, st.tenant, st.state, events);
            announce_new_events(context, st.tenant, st.state, events);
            push_new_events(context, st.tenant, st.state, events);
            for (const auto& event : events) {
              if (auto* reserved = std::get_if<domain::SpendReserved>(&event.data)) {
                arm_expiry(self, context, st.state.reservations.at(reserved->reservation_id));
              }
            }
            respond(outcome_reply(st, command, rejection, now));
            maybe_snapshot(self, context);
          },
          [=](caf::error& error) mutable {
            // The write may or may not be durable, so the actor restarts from the journal.
            auto message = self->system().render(error);
            spdlog::error("tenant_append_failed tenant={} error=\"{}\"", self->state.tenant,
                          message);
            respond(failure_reply(Reply::Status::unavailable, message));
            restart_from_journal(self, context);
          });
}

Reply answer_query(Self* self, NodeContext* context, const TenantQuery& query) {
  auto& st = self->state;
  st.last_activity = std::chrono::steady_clock::now();
  if (!st.recovery_error.empty()) {
    return failure_reply(Reply::Status::internal,
                         "tenant journal failed to recover: " + st.recovery_error);
  }
  Reply reply;
  switch (query.kind) {
    case TenantQuery::Kind::summary:
      reply.body = domain::tenant_view(st.state, context->now());
      reply.body["tenant"] = st.tenant;
      break;
    case TenantQuery::Kind::actions:
      reply.body = domain::actions_view(st.state, query.status);
      break;
    case TenantQuery::Kind::guardrails:
      reply.body = domain::guardrails_view(st.state);
      break;
    case TenantQuery::Kind::outbox:
      reply.body = domain::outbox_view(st.state.integrations);
      break;
    case TenantQuery::Kind::subscription:
      reply.body = domain::subscription_view(st.state);
      break;
    case TenantQuery::Kind::dead_letters:
      reply.body = domain::dead_letters_view(st.state);
      break;
    case TenantQuery::Kind::events: {
      auto page = context->journal->read_events(st.tenant, query.after_seq, query.limit);
      if (!page.ok()) return failure_reply(Reply::Status::internal, page.error());
      json events = json::array();
      std::uint64_t next_after = query.after_seq;
      for (const auto& stored : page.value()) {
        events.push_back(domain::event_to_json(stored.event));
        next_after = stored.event.seq;
      }
      reply.body = {{"events", std::move(events)}, {"next_after", next_after}};
      break;
    }
  }
  return reply;
}

void handle_expire(Self* self, NodeContext* context, const std::string& reservation_id) {
  auto& st = self->state;
  auto it = st.state.reservations.find(reservation_id);
  if (it == st.state.reservations.end() || it->second.status != domain::ReservationStatus::open) {
    return;
  }
  if (context->now() < it->second.expires_at) {
    arm_expiry(self, context, it->second);
    return;
  }
  RequestContext request{st.tenant, system_principal, "expiry:" + reservation_id};
  handle_command(self, context, request, domain::Expire{reservation_id}, [](const Reply&) {});
}

// Passivates the actor once it has been idle for the configured time. A tenant with open
// reservations stays, because its expiry timers live in this actor, and so does a tenant whose
// rate limiter has not refilled yet, so passivation cannot hand out a fresh burst early.
void handle_idle(Self* self, NodeContext* context) {
  auto& st = self->state;
  auto idle = std::chrono::steady_clock::now() - st.last_activity;
  bool has_open = std::any_of(st.state.reservations.begin(), st.state.reservations.end(),
                              [](const auto& entry) {
                                return entry.second.status == domain::ReservationStatus::open;
                              });
  bool limiter_at_rest = st.rate_limiter.at_rest(context->now());
  if (idle >= context->options.passivate_after && !has_open && limiter_at_rest) {
    context->counters.passivations_total++;
    spdlog::debug("tenant_passivated tenant={} last_seq={}", st.tenant, st.state.last_seq);
    self->quit();
    return;
  }
  self->delayed_send(self, context->options.passivate_after, idle_atom::value);
}

// Writes a snapshot of the current state for the retention job and returns the seq it covers. The
// write is synchronous, so the snapshot is durable before the job deletes anything it covers.
SnapshotOutcome snapshot_now(Self* self, NodeContext* context) {
  auto& st = self->state;
  if (!st.recovery_error.empty()) {
    return SnapshotOutcome{false, 0, "tenant journal failed to recover: " + st.recovery_error};
  }
  if (st.state.last_seq == 0) return SnapshotOutcome{true, 0, {}};
  auto stored = context->journal->read_snapshot(st.tenant);
  if (stored.ok() && stored.value() && stored.value()->seq == st.state.last_seq) {
    return SnapshotOutcome{true, st.state.last_seq, {}};
  }
  auto written = context->journal->write_snapshot(st.tenant, st.state.last_seq, st.chain_head,
                                                  domain::state_to_json(st.state));
  if (!written.ok()) return SnapshotOutcome{false, 0, written.error()};
  st.snapshot_seq = st.state.last_seq;
  return SnapshotOutcome{true, st.state.last_seq, {}};
}

}  // namespace

caf::behavior tenant_actor(Self* self, NodeContext* context, std::string tenant) {
  self->state.tenant = std::move(tenant);
  self->state.last_activity = std::chrono::steady_clock::now();
  recover(self, context);
  arm_all_expiries(self, context);
  self->delayed_send(self, context->options.passivate_after, idle_atom::value);
  context->counters.tenants_active++;
  self->attach_functor([context] { context->counters.tenants_active--; });

  return {
      [=](command_atom, CommandEnvelope& envelope) {
        auto promise = self->make_response_promise();
        handle_command(self, context, envelope.context, envelope.command,
                       [promise](Reply reply) mutable { promise.deliver(std::move(reply)); });
      },
      [=](query_atom, QueryEnvelope& envelope) -> Reply {
        return answer_query(self, context, envelope.query);
      },
      [=](expire_atom, std::string& reservation_id) {
        handle_expire(self, context, reservation_id);
      },
      [=](idle_atom) { handle_idle(self, context); },
      [=](snapshot_atom) -> SnapshotOutcome { return snapshot_now(self, context); },
  };
}

}  // namespace bulwark::actors
