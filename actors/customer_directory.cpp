#include "actors/customer_directory.hpp"

namespace bulwark::actors {

void CustomerDirectory::expect_tenants(const std::vector<std::string>& tenants) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& tenant : tenants) {
    if (customers_by_tenant_.count(tenant) == 0) pending_tenants_.insert(tenant);
  }
}

std::vector<std::string> CustomerDirectory::load_tenant(
    const std::string& tenant, const std::vector<std::string>& customer_ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_tenants_.erase(tenant);
  std::set<std::string>& owned = customers_by_tenant_[tenant];
  for (const auto& customer : owned) owner_by_customer_.erase(customer);
  owned.clear();

  std::vector<std::string> conflicts;
  for (const auto& customer : customer_ids) {
    auto [it, inserted] = owner_by_customer_.emplace(customer, tenant);
    if (!inserted && it->second != tenant) {
      conflicts.push_back(customer);
      continue;
    }
    owned.insert(customer);
  }
  return conflicts;
}

void CustomerDirectory::mark_failed(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_tenants_.insert(tenant);
}

std::optional<std::pair<std::string, std::string>> CustomerDirectory::claim(
    const std::string& tenant, const std::vector<std::string>& customer_ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& customer : customer_ids) {
    auto it = owner_by_customer_.find(customer);
    if (it != owner_by_customer_.end() && it->second != tenant) {
      return std::make_pair(customer, it->second);
    }
  }
  std::set<std::string>& owned = customers_by_tenant_[tenant];
  for (const auto& customer : customer_ids) {
    owner_by_customer_[customer] = tenant;
    owned.insert(customer);
  }
  return std::nullopt;
}

CustomerLookup CustomerDirectory::find(const std::string& customer_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = owner_by_customer_.find(customer_id); it != owner_by_customer_.end()) {
    return CustomerLookup{CustomerLookup::Status::found, it->second};
  }
  if (!pending_tenants_.empty()) return CustomerLookup{CustomerLookup::Status::not_ready, {}};
  return CustomerLookup{CustomerLookup::Status::unknown, {}};
}

std::size_t CustomerDirectory::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return owner_by_customer_.size();
}

}  // namespace bulwark::actors
