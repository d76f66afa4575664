#include "actors/outbox_delivery.hpp"

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "domain/outbox.hpp"

namespace bulwark::actors {
namespace {

using Self = caf::stateful_actor<OutboxDeliveryState>;

constexpr const char* delivery_principal = "outbox";

double jitter_unit(Self* self) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(self->state.random);
}

void attempt(Self* self, NodeContext* context, OutboundHttpClient* http, const std::string& key) {
  auto it = self->state.jobs.find(key);
  if (it == self->state.jobs.end() || self->state.in_flight.count(key) != 0) return;
  const OutboxJob& job = it->second;
  self->state.in_flight[key] = true;

  nlohmann::json body = job.body;
  body["tenant"] = job.tenant;
  body["idempotency_key"] = job.idempotency_key;
  HttpCall call;
  call.method = "POST";
  call.url = job.target;
  call.headers = {{"Idempotency-Key", job.idempotency_key}};
  call.body = body.dump();
  call.timeout = context->options.integrations.outbox_request_timeout;
  call.response_body_bytes_max = 64 * 1024;
  if (context->integrations.metrics != nullptr)
    context->integrations.metrics->outbox_attempts_total++;
  auto handle = caf::actor_cast<caf::actor>(self);
  http->call(std::move(call), [handle, key](HttpCallResult result) {
    caf::anon_send(handle, delivered_atom::value, key, std::move(result));
  });
}

// Sends a record command to the tenant actor; the reply (or its failure) comes back as
// recorded_atom, so the actor learns whether the outcome is durable.
void record(Self* self, NodeContext* context, caf::actor registry, const OutboxJob& job,
            domain::IntegrationCommand command, bool delivered) {
  RequestContext request{job.tenant, delivery_principal,
                         "outbox:" + job.idempotency_key + ":" + std::to_string(job.attempts)};
  std::string key = job.idempotency_key;
  self->request(registry, context->options.request_timeout, command_atom::value,
                CommandEnvelope{request, domain::Command{std::move(command)}})
      .then(
          [=](Reply& reply) {
            bool ok = reply.status == Reply::Status::ok;
            if (!ok) {
              spdlog::warn("outbox_record_failed tenant={} key={} status={} error=\"{}\"",
                           job.tenant, key, static_cast<int>(reply.status),
                           reply.rejection ? reply.rejection->message : reply.error);
            }
            self->send(self, recorded_atom::value, key, delivered, ok);
          },
          [=](caf::error& error) {
            spdlog::warn("outbox_record_failed tenant={} key={} error=\"{}\"", job.tenant, key,
                         self->system().render(error));
            self->send(self, recorded_atom::value, key, delivered, false);
          });
}

void schedule_retry(Self* self, NodeContext* context, const OutboxJob& job) {
  const auto& options = context->options.integrations;
  auto delay =
      domain::retry_delay(std::max<std::int64_t>(job.attempts, 1), options.outbox_retry_base,
                          options.outbox_retry_max, jitter_unit(self));
  spdlog::info("outbox_retry_scheduled tenant={} key={} attempts={} delay_ms={}", job.tenant,
               job.idempotency_key, job.attempts, delay.count());
  self->delayed_send(self, delay, deliver_atom::value, job.idempotency_key);
}

void on_result(Self* self, NodeContext* context, caf::actor registry, const std::string& key,
               const HttpCallResult& result) {
  auto it = self->state.jobs.find(key);
  if (it == self->state.jobs.end()) return;
  OutboxJob& job = it->second;
  job.attempts++;
  bool ok = result.status >= 200 && result.status < 300;
  auto* metrics = context->integrations.metrics;
  if (ok) {
    spdlog::info("outbox_delivered tenant={} key={} attempts={} status={}", job.tenant, key,
                 job.attempts, result.status);
    if (metrics != nullptr) metrics->outbox_delivered_total++;
    record(self, context, registry, job,
           domain::IntegrationCommand{domain::RecordOutboxDelivery{key, job.attempts}}, true);
    return;
  }
  std::string reason =
      result.status != 0 ? "receiver answered " + std::to_string(result.status) : result.error;
  if (reason.size() > domain::outbox_reason_length_max) {
    reason.resize(domain::outbox_reason_length_max);
  }
  spdlog::warn("outbox_attempt_failed tenant={} key={} attempts={} reason=\"{}\"", job.tenant, key,
               job.attempts, reason);
  if (metrics != nullptr) metrics->outbox_failed_attempts_total++;
  record(self, context, registry, job,
         domain::IntegrationCommand{domain::RecordOutboxFailure{key, job.attempts, reason}}, false);
}

void on_recorded(Self* self, NodeContext* context, const std::string& key, bool delivered,
                 bool durable) {
  auto it = self->state.jobs.find(key);
  if (it == self->state.jobs.end()) return;
  self->state.in_flight.erase(key);
  if (delivered && durable) {
    self->state.jobs.erase(it);
    if (context->integrations.metrics != nullptr) {
      context->integrations.metrics->outbox_in_flight = self->state.jobs.size();
    }
    return;
  }
  // A failed attempt, or a delivery whose confirmation is not durable: deliver again later. The
  // receiver may see the entry twice and deduplicates on its key.
  schedule_retry(self, context, it->second);
}

void on_job(Self* self, NodeContext* context, OutboundHttpClient* http, OutboxJob job) {
  std::string key = job.idempotency_key;
  if (self->state.jobs.count(key) != 0) return;  // already queued, e.g. after a tenant recovery
  spdlog::info("outbox_queued tenant={} key={} target={} attempts={}", job.tenant, key, job.target,
               job.attempts);
  self->state.jobs.emplace(key, std::move(job));
  if (context->integrations.metrics != nullptr) {
    context->integrations.metrics->outbox_in_flight = self->state.jobs.size();
  }
  attempt(self, context, http, key);
}

}  // namespace

caf::behavior outbox_delivery(Self* self, NodeContext* context, caf::actor registry,
                              OutboundHttpClient* http) {
  spdlog::info("outbox_delivery_started");
  return {
      [=](outbox_atom, OutboxJob& job) { on_job(self, context, http, std::move(job)); },
      [=](deliver_atom, const std::string& key) { attempt(self, context, http, key); },
      [=](delivered_atom, const std::string& key, const HttpCallResult& result) {
        on_result(self, context, registry, key, result);
      },
      [=](recorded_atom, const std::string& key, bool delivered, bool durable) {
        on_recorded(self, context, key, delivered, durable);
      },
  };
}

}  // namespace bulwark::actors
