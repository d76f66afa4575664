#include "actors/market_feed.hpp"

#include <spdlog/spdlog.h>

#include "actors/messages.hpp"

namespace bulwark::actors {
namespace {

using Self = caf::stateful_actor<MarketFeedState>;

constexpr const char* market_principal = "market";

void publish_metrics(NodeContext* context, const MarketSource& source) {
  auto* metrics = context->integrations.metrics;
  if (metrics == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(metrics->mutex);
    metrics->sources[source.option.name] = source.metrics;
  }
  const auto& path = context->options.integrations.market_status_file;
  if (path.empty()) return;
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    context->now().time_since_epoch())
                    .count();
  auto error = write_market_status(*metrics, path, now_ms);
  if (!error.empty()) spdlog::warn("market_status_write_failed path={} error=\"{}\"", path, error);
}

void refresh_metrics(NodeContext* context, MarketSource& source) {
  source.metrics.breaker_state = source.breaker.state();
  source.metrics.breaker = source.breaker.counters();
  source.metrics.consecutive_failures = source.breaker.consecutive_failures();
  source.metrics.last_version = source.last_version;
  publish_metrics(context, source);
}

// Sends the observation to one tenant as a command; the tenant actor decides whether it changes
// the regime. The reply is not awaited: a lost observation is superseded by the next one.
void send_observation(Self* self, caf::actor registry, const std::string& series,
                      const std::string& tenant, const domain::Observation& observation) {
  RequestContext request{tenant, market_principal,
                         "market:" + series + ":" + std::to_string(observation.version)};
  domain::IntegrationCommand command{domain::ApplyObservation{
      series, observation.version, observation.date, observation.value_minor}};
  self->send(registry, command_atom::value, CommandEnvelope{request, domain::Command{command}});
}

void poll(Self* self, NodeContext* context, OutboundHttpClient* http, const std::string& name) {
  const auto& options = context->options.integrations;
  self->delayed_send(self, options.market_poll_interval, poll_atom::value, name);
  auto it = self->state.sources.find(name);
  if (it == self->state.sources.end()) return;
  MarketSource& source = it->second;
  if (source.polling) return;
  if (!source.breaker.allow(context->now())) {
    spdlog::debug("market_poll_skipped source={} breaker={}", name,
                  domain::to_string(source.breaker.state()));
    refresh_metrics(context, source);
    return;
  }
  source.polling = true;
  refresh_metrics(context, source);
  HttpCall call;
  call.url = source.option.url;
  call.timeout = options.market_request_timeout;
  auto handle = caf::actor_cast<caf::actor>(self);
  http->call(std::move(call), [handle, name](HttpCallResult result) {
    caf::anon_send(handle, polled_atom::value, name, std::move(result));
  });
}

void on_polled(Self* self, NodeContext* context, caf::actor registry, const std::string& name,
               const HttpCallResult& result) {
  auto it = self->state.sources.find(name);
  if (it == self->state.sources.end()) return;
  MarketSource& source = it->second;
  source.polling = false;
  auto now = context->now();

  std::string error;
  domain::ParsedObservations parsed;
  if (result.status == 200) {
    parsed = domain::parse_observations(result.body, source.allow_negative);
    error = parsed.error;
  } else {
    error = result.status != 0 ? "source answered " + std::to_string(result.status) : result.error;
  }
  if (!error.empty()) {
    double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(self->state.random);
    auto before = source.breaker.state();
    source.breaker.record_failure(now, jitter);
    source.metrics.polls_failed_total++;
    spdlog::warn("market_poll_failed source={} error=\"{}\" breaker={}", name, error,
                 domain::to_string(source.breaker.state()));
    if (before != domain::BreakerState::open &&
        source.breaker.state() == domain::BreakerState::open) {
      spdlog::warn("market_breaker_opened source={} consecutive_failures={}", name,
                   source.breaker.consecutive_failures());
    }
    refresh_metrics(context, source);
    return;
  }

  auto before = source.breaker.state();
  source.breaker.record_success(now);
  if (before != domain::BreakerState::closed) {
    spdlog::info("market_breaker_closed source={}", name);
  }
  source.metrics.polls_ok_total++;
  source.metrics.bad_rows_total += parsed.bad_rows;
  std::size_t published = 0;
  const auto& subscribers = self->state.tenants[name];
  for (const auto& observation : parsed.observations) {
    if (observation.version <= source.last_version) continue;
    source.last_version = observation.version;
    source.latest = observation;
    for (const auto& tenant : subscribers) {
      send_observation(self, registry, name, tenant, observation);
    }
    published++;
  }
  source.metrics.observations_published_total += published;
  if (published > 0 || parsed.bad_rows > 0) {
    spdlog::info("market_poll_done source={} published={} bad_rows={} last_version={}", name,
                 published, parsed.bad_rows, source.last_version);
  }
  refresh_metrics(context, source);
}

// Subscribes a tenant to a series and sends it the newest observation at once, so a tenant that
// configures its regime late does not wait for the next new observation.
void on_subscribe(Self* self, caf::actor registry, const std::string& series,
                  const std::string& tenant) {
  bool added = self->state.tenants[series].insert(tenant).second;
  if (!added) return;
  spdlog::info("market_subscribed series={} tenant={}", series, tenant);
  auto it = self->state.sources.find(series);
  if (it == self->state.sources.end()) {
    spdlog::warn("market_series_unknown series={} tenant={}", series, tenant);
    return;
  }
  if (it->second.latest) send_observation(self, registry, series, tenant, *it->second.latest);
}

}  // namespace

caf::behavior market_feed(Self* self, NodeContext* context, caf::actor registry,
                          OutboundHttpClient* http) {
  const auto& options = context->options.integrations;
  for (const auto& option : options.market_sources) {
    MarketSource source;
    source.option = option;
    source.breaker = domain::CircuitBreaker(options.breaker);
    source.allow_negative = domain::series_may_be_negative(option.name);
    refresh_metrics(context, source);
    self->state.sources.emplace(option.name, std::move(source));
    self->send(self, poll_atom::value, option.name);
    spdlog::info("market_source_added source={} url={} negative_allowed={}", option.name,
                 option.url, domain::series_may_be_negative(option.name));
  }
  return {
      [=](poll_atom, const std::string& name) { poll(self, context, http, name); },
      [=](polled_atom, const std::string& name, const HttpCallResult& result) {
        on_polled(self, context, registry, name, result);
      },
      [=](subscribe_atom, const std::string& series, const std::string& tenant) {
        on_subscribe(self, registry, series, tenant);
      },
  };
}

}  // namespace bulwark::actors
