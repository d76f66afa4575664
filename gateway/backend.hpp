#pragma once
// The narrow interface between the HTTP gateway and the tenant actors. The gateway never sees CAF:
// it hands a validated command or query to the backend and gets one callback, on some other thread,
// with the outcome. The backend replies to a command only after its events are durable.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "domain/commands.hpp"
#include "domain/events.hpp"
#include "domain/rejection.hpp"

namespace bulwark::gateway {

struct RequestContext {
  std::string tenant;     // from the token, never from the request
  std::string principal;  // the token's subject
  std::string request_id;  // becomes the events' causation id
};

struct BackendResult {
  enum class Status : std::uint8_t {
    ok,           // body holds the affected entity or the query result
    rejected,     // rejection holds the business error
    unavailable,  // the owner could not be reached or the journal is not writable (503)
    internal,     // a bug or an unexpected I/O error (500); details are logged, not returned
  };
  Status status = Status::ok;
  bool created = false;  // the command created the entity (201 rather than 200)
  nlohmann::json body;
  std::optional<domain::Rejection> rejection;
};

using BackendCallback = std::function<void(BackendResult)>;

struct TenantSummaryQuery {};
struct ActionsQuery {
  std::optional<domain::ActionStatus> status;
};
struct GuardrailsQuery {};
// Journal page for GET /v1/events: events with seq > after_seq, at most `limit`.
struct EventsQuery {
  std::uint64_t after_seq = 0;
  std::size_t limit = 100;
};
// GET /v1/subscription and GET /v1/webhooks/dead-letters.
struct SubscriptionQuery {};
struct DeadLettersQuery {};
// GET /v1/outbox.
struct OutboxQuery {};
using Query = std::variant<TenantSummaryQuery, ActionsQuery, GuardrailsQuery, EventsQuery,
                           SubscriptionQuery, DeadLettersQuery, OutboxQuery>;

// The tenant that owns a Stripe customer, for routing an inbound webhook.
struct StripeCustomerLookup {
  enum class Status : std::uint8_t {
    found,
    unknown,    // no tenant claims the customer
    not_ready,  // tenants are still recovering, so the owner may not be known yet
  };
  Status status = Status::unknown;
  std::string tenant;
};

// One frame pushed to a WebSocket session: a tenant event (seq > 0) or a platform message (seq 0).
struct PushFrame {
  std::uint64_t seq = 0;
  std::string type;  // the event type, or the platform message's type
  std::shared_ptr<const std::string> payload;
};
// Called on the publisher's thread; it must only queue the frame.
using PushSink = std::function<void(const PushFrame&)>;

class Backend {
 public:
  virtual ~Backend() = default;

  // Decides the command in the tenant's actor. `done` is called exactly once.
  virtual void submit(const RequestContext& context, domain::Command command,
                      BackendCallback done) = 0;
  // Answers a read from the tenant's owner, so it is never stale. `done` is called exactly once.
  virtual void query(const RequestContext& context, Query query, BackendCallback done) = 0;

  // Looks up the tenant of a Stripe customer. The default finds none.
  [[nodiscard]] virtual StripeCustomerLookup find_stripe_customer(
      const std::string& customer_id) const {
    return {};
  }

  // Subscribes to the tenant's events as they become durable, in sequence order. Dropping the
  // returned handle unsubscribes. The default publishes nothing.
  [[nodiscard]] virtual std::shared_ptr<void> subscribe_tenant(const std::string& /*tenant*/,
                                                               PushSink /*sink*/) {
    return std::make_shared<int>(0);
  }
  // Subscribes to platform-scoped messages; only platform sessions may call it.
  [[nodiscard]] virtual std::shared_ptr<void> subscribe_platform(PushSink /*sink*/) {
    return std::make_shared<int>(0);
  }
  // GET /v1/platform/stats: platform-wide counts and aggregates, never one tenant's data.
  [[nodiscard]] virtual nlohmann::json platform_stats() const { return nlohmann::json::object(); }

  // True once the journal is open and the node can serve tenants.
  [[nodiscard]] virtual bool ready() const = 0;
  // Prometheus text-format lines for the backend's own metrics (actors, journal, recovery).
  [[nodiscard]] virtual std::string metrics_text() const = 0;
};

}  // namespace bulwark::gateway
