#pragma once
// Which tenant owns each Stripe customer id, for routing inbound webhooks. The journal is the
// source of truth (stripe_customers_set events); this map is rebuilt from tenant states as tenant
// actors recover and is updated after each durable change. Thread-safe: tenant actors write it and
// gateway threads read it.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bulwark::actors {

struct CustomerLookup {
  enum class Status : std::uint8_t {
    found,
    unknown,    // no tenant claims the customer
    not_ready,  // some tenant has not recovered yet, so the owner may still appear
  };
  Status status = Status::unknown;
  std::string tenant;
};

class CustomerDirectory {
 public:
  // Marks these tenants as expected: lookups of unknown customers report not_ready until each of
  // them has been loaded (or has failed to recover, which keeps the directory not ready).
  void expect_tenants(const std::vector<std::string>& tenants);

  // Sets `tenant`'s customers to exactly `customer_ids` from its recovered or updated state. A
  // customer that another tenant already owns stays with that tenant; the conflict is returned so
  // the caller can log it.
  std::vector<std::string> load_tenant(const std::string& tenant,
                                       const std::vector<std::string>& customer_ids);
  // Records that `tenant`'s journal failed to recover, so its customers are not known.
  void mark_failed(const std::string& tenant);

  // Claims `customer_ids` for `tenant` before its change is appended, so two tenants cannot both
  // claim one customer. Customers the tenant already has stay. Returns the first customer that
  // another tenant owns, with that tenant, and claims nothing in that case.
  std::optional<std::pair<std::string, std::string>> claim(
      const std::string& tenant, const std::vector<std::string>& customer_ids);

  [[nodiscard]] CustomerLookup find(const std::string& customer_id) const;
  [[nodiscard]] std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> owner_by_customer_;
  std::unordered_map<std::string, std::set<std::string>> customers_by_tenant_;
  std::set<std::string> pending_tenants_;  // expected but not loaded yet, or failed
};

}  // namespace bulwark::actors
