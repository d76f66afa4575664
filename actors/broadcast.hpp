#pragma once
// Push of journaled changes to live subscribers (WebSocket sessions). Every message has exactly
// one scope, fixed by its type: a TenantMessage reaches only subscribers of its tenant, and a
// PlatformMessage only platform subscribers. Neither type has a default constructor, and
// publish() accepts nothing else, so an unscoped message cannot be built or sent.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace bulwark::actors {

// One frame as a subscriber receives it. `seq` is the tenant's journal sequence number, or 0 for
// platform frames. The payload is shared by every subscriber that receives it.
struct PushFrame {
  std::uint64_t seq = 0;
  std::string type;  // the event type, or the platform message's type
  std::shared_ptr<const std::string> payload;
};

// Called on the publisher's thread while the broadcaster's lock is held, so a sink only queues the
// frame (the WebSocket session posts it to its strand) and never blocks.
using PushSink = std::function<void(const PushFrame&)>;

class TenantMessage {
 public:
  TenantMessage(std::string tenant, std::uint64_t seq, std::string type, std::string payload)
      : tenant_(std::move(tenant)),
        frame_{seq, std::move(type), std::make_shared<const std::string>(std::move(payload))} {}
  [[nodiscard]] const std::string& tenant() const { return tenant_; }
  [[nodiscard]] const PushFrame& frame() const { return frame_; }

 private:
  std::string tenant_;
  PushFrame frame_;
};

class PlatformMessage {
 public:
  PlatformMessage(std::string type, std::string payload)
      : frame_{0, std::move(type), std::make_shared<const std::string>(std::move(payload))} {}
  [[nodiscard]] const PushFrame& frame() const { return frame_; }

 private:
  PushFrame frame_;
};

// Keeps a subscription alive; destroying it unsubscribes. Sinks are never called after the
// destructor returns.
class PushSubscription {
 public:
  virtual ~PushSubscription() = default;
};

class Broadcaster {
 public:
  // Delivers `message` to every subscriber of its tenant, in the order of publish() calls.
  void publish(const TenantMessage& message);
  // Delivers `message` to every platform subscriber.
  void publish(const PlatformMessage& message);
  // Anything else, a bare string or JSON included, does not compile.
  template <typename Other>
  void publish(const Other&) = delete;

  [[nodiscard]] std::unique_ptr<PushSubscription> subscribe_tenant(const std::string& tenant,
                                                                   PushSink sink);
  [[nodiscard]] std::unique_ptr<PushSubscription> subscribe_platform(PushSink sink);

  [[nodiscard]] std::size_t tenant_subscribers() const;
  [[nodiscard]] std::size_t platform_subscribers() const;

 private:
  class Handle;
  void unsubscribe(std::uint64_t id);

  // Sinks are called under the lock, so an unsubscribe that returns has no call in flight and
  // frames of one tenant keep their order.
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::pair<std::string, PushSink>> tenant_sinks_;  // id -> tenant, sink
  std::multimap<std::string, std::uint64_t> by_tenant_;
  std::map<std::uint64_t, PushSink> platform_sinks_;
};

}  // namespace bulwark::actors
