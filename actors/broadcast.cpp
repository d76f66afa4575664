#include "actors/broadcast.hpp"

namespace bulwark::actors {

class Broadcaster::Handle final : public PushSubscription {
 public:
  Handle(Broadcaster& owner, std::uint64_t id) : owner_(owner), id_(id) {}
  ~Handle() override { owner_.unsubscribe(id_); }

 private:
  Broadcaster& owner_;
  std::uint64_t id_;
};

void Broadcaster::publish(const TenantMessage& message) {
  std::lock_guard lock(mutex_);
  auto [first, last] = by_tenant_.equal_range(message.tenant());
  for (auto it = first; it != last; ++it) tenant_sinks_.at(it->second).second(message.frame());
}

void Broadcaster::publish(const PlatformMessage& message) {
  std::lock_guard lock(mutex_);
  for (auto& [id, sink] : platform_sinks_) sink(message.frame());
}

std::unique_ptr<PushSubscription> Broadcaster::subscribe_tenant(const std::string& tenant,
                                                                PushSink sink) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = ++next_id_;
  tenant_sinks_.emplace(id, std::make_pair(tenant, std::move(sink)));
  by_tenant_.emplace(tenant, id);
  return std::make_unique<Handle>(*this, id);
}

std::unique_ptr<PushSubscription> Broadcaster::subscribe_platform(PushSink sink) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = ++next_id_;
  platform_sinks_.emplace(id, std::move(sink));
  return std::make_unique<Handle>(*this, id);
}

std::size_t Broadcaster::tenant_subscribers() const {
  std::lock_guard lock(mutex_);
  return tenant_sinks_.size();
}

std::size_t Broadcaster::platform_subscribers() const {
  std::lock_guard lock(mutex_);
  return platform_sinks_.size();
}

void Broadcaster::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  if (platform_sinks_.erase(id) > 0) return;
  auto it = tenant_sinks_.find(id);
  if (it == tenant_sinks_.end()) return;
  auto [first, last] = by_tenant_.equal_range(it->second.first);
  for (auto entry = first; entry != last; ++entry) {
    if (entry->second == id) {
      by_tenant_.erase(entry);
      break;
    }
  }
  tenant_sinks_.erase(it);
}

}  // namespace bulwark::actors
