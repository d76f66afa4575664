// The demo scenario: a procurement workload priced from a real daily commodity series.
#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "cli/load_scenarios.hpp"
#include "domain/money.hpp"
#include "gateway/request_parsing.hpp"

namespace bulwark::cli {
namespace {

namespace http = boost::beast::http;
using domain::MinorUnits;
using nlohmann::json;

constexpr const char* demo_time_zones[] = {
    "Europe/Berlin", "America/New_York",    "Asia/Tokyo",   "Australia/Sydney",
    "UTC",           "America/Los_Angeles", "Asia/Kolkata", "America/Sao_Paulo",
    "Europe/London", "Pacific/Auckland"};
constexpr const char* cap_enforcements[] = {"block", "escalate", "warn"};

// Oversized orders on an escalating tenant switch its safe mode on at this violation count.
constexpr std::int64_t escalation_threshold = 3;
constexpr std::int64_t reservation_ttl_s = 300;
constexpr MinorUnits wire_transfer_minor = 25'000;
constexpr std::chrono::seconds demo_duration_default{600};

// Which market days (by index into the traded points) carry the extra orders. Spread apart so
// that a 250-day run has several of each and a short run still has the regular flow.
bool is_freight_day(std::size_t day) { return day % 5 == 2; }
bool is_oversized_day(std::size_t day) { return day % 25 == 12; }
bool is_wire_transfer_day(std::size_t day) { return day % 40 == 20; }
bool is_over_budget_day(std::size_t day) { return day % 50 == 37; }
bool is_repeat_day(std::size_t day) { return day % 50 == 25; }

enum class Settlement { commit_full, commit_less, release };

struct DemoTenant {
  std::string id;
  TenantTokens tokens;
  std::int64_t quantity = 0;  // barrels (or the series' unit) per regular order
  std::string cap_enforcement;
  std::string kinds_enforcement;
  MinorUnits cap_minor = 0;
  // What this run may use. The budget adds what the tenant's current day has already used, so a
  // repeated run on the same data directory gets the same headroom.
  MinorUnits run_limit_minor = 0;
  TenantReport* report = nullptr;
};

struct Order {
  std::string action_id;
  std::string kind;
  MinorUnits amount_minor = 0;
  json payload;
  std::string execute_expected;  // "200", "409 guardrail_blocked" or "409 limit_exceeded"
  Settlement settlement = Settlement::commit_full;
};

MinorUnits checked_product(MinorUnits a, MinorUnits b) {
  auto product = domain::checked_mul(a, b);
  if (!product) throw std::runtime_error("series prices are too large for the demo's amounts");
  return *product;
}

MinorUnits checked_total(MinorUnits a, MinorUnits b) {
  auto sum = domain::checked_add(a, b);
  if (!sum) throw std::runtime_error("series prices are too large for the demo's amounts");
  return sum.value();
}

MinorUnits freight_minor(MinorUnits order_minor) {
  return std::max<MinorUnits>(1, order_minor / 20);
}

// An amount a little below the reserved one: 2 % less, with the discount rounded down, so small
// amounts stay close and a single minor unit stays one.
MinorUnits slightly_less(MinorUnits amount) { return amount - amount / 50; }

DemoTenant configure_tenant(std::size_t index, const LoadOptions& options,
                            const PriceSeries& series, MinorUnits price_max_minor,
                            TenantReport& report) {
  DemoTenant tenant;
  tenant.id = tenant_id("demo", index);
  tenant.quantity = 100 + 50 * static_cast<std::int64_t>(index % 5);
  tenant.cap_enforcement = cap_enforcements[index % 3];
  tenant.kinds_enforcement = index % 2 == 0 ? "block" : "warn";
  // Twice the dearest price in the window: regular orders stay below, oversized ones above.
  tenant.cap_minor = checked_product(checked_product(tenant.quantity, price_max_minor), 2);

  MinorUnits planned = 0;
  for (std::size_t day = 0; day < series.points.size(); ++day) {
    MinorUnits order = checked_product(tenant.quantity, series.points[day].price_minor);
    planned = checked_total(planned, order);
    if (is_freight_day(day)) planned = checked_total(planned, freight_minor(order));
    if (is_wire_transfer_day(day)) planned = checked_total(planned, wire_transfer_minor);
  }
  // Limits differ per tenant, from 110 % to 150 % of the planned spend. An executed oversized
  // order is released before the next one, so the headroom needs room for one of them.
  std::int64_t headroom_percent = 110 + 10 * static_cast<std::int64_t>(index % 5);
  tenant.run_limit_minor = checked_total(checked_product(planned / 100, headroom_percent),
                                         checked_total(tenant.cap_minor, price_max_minor));

  report.tenant = tenant.id;
  report.time_zone = demo_time_zones[index % std::size(demo_time_zones)];
  report.safe_mode_configured = index % 4 == 1;
  report.guardrails =
      "max_amount " + tenant.cap_enforcement + ", allowed_kinds " + tenant.kinds_enforcement;
  tenant.report = &report;

  std::chrono::seconds token_ttl =
      std::max<std::chrono::seconds>(options.duration, std::chrono::seconds(0)) +
      std::chrono::hours(1);
  tenant.tokens = mint_tenant_tokens(options.secret_key, tenant.id, token_ttl);
  return tenant;
}

class DemoWorker {
 public:
  DemoWorker(Session& session, const LoadOptions& options, const PriceSeries& series)
      : session_(session), options_(options), series_(series) {}

  void set_up(DemoTenant& tenant) {
    TenantReport& report = *tenant.report;
    MinorUnits used = 0;
    CallResult view = session_.call("get_tenant", http::verb::get, "/v1/tenant", nullptr,
                                    tenant.tokens.viewer, {"200"});
    if (view.ok() && view.body.is_object() && view.body["budget"].is_object()) {
      const json& budget = view.body["budget"];
      used = budget.value("committed_minor", MinorUnits{0}) +
             budget.value("reserved_minor", MinorUnits{0});
    }
    report.limit_minor = checked_total(used, tenant.run_limit_minor);

    json budget = {{"daily_limit_minor", report.limit_minor},
                   {"currency", "USD"},
                   {"time_zone", report.time_zone}};
    session_.call("set_budget", http::verb::put, "/v1/tenant/budget", budget, tenant.tokens.admin,
                  {"200"});

    json safe_mode = {{"enabled", report.safe_mode_configured},
                      {"reason", "demo run " + options_.run_id + " configuration"}};
    session_.call("set_safe_mode", http::verb::put, "/v1/safe-mode", safe_mode, tenant.tokens.admin,
                  {"200"});

    json cap = {{"rule", "max_amount"},
                {"max_amount_minor", tenant.cap_minor},
                {"enforcement", tenant.cap_enforcement}};
    if (tenant.cap_enforcement == "escalate") cap["escalation_threshold"] = escalation_threshold;
    session_.call("set_guardrail", http::verb::put, "/v1/guardrails/po-cap", cap,
                  tenant.tokens.admin, {"2xx"});

    json kinds = {{"rule", "allowed_kinds"},
                  {"kinds", {"create_po", "pause_orders"}},
                  {"enforcement", tenant.kinds_enforcement}};
    session_.call("set_guardrail", http::verb::put, "/v1/guardrails/po-kinds", kinds,
                  tenant.tokens.admin, {"2xx"});
  }

  void trade_day(DemoTenant& tenant, std::size_t day) {
    const PricePoint& point = series_.points[day];
    std::string prefix = options_.run_id + ":" + tenant.id + ":";
    MinorUnits order_minor = checked_product(tenant.quantity, point.price_minor);

    Order regular;
    regular.action_id = prefix + "po:" + point.date;
    regular.kind = "create_po";
    regular.amount_minor = order_minor;
    regular.payload = order_payload(point, tenant.quantity);
    regular.execute_expected = "200";
    // One order in ten is cancelled by the supplier, one in three is delivered a little short.
    if (day % 10 == 7) {
      regular.settlement = Settlement::release;
    } else if (day % 3 == 0) {
      regular.settlement = Settlement::commit_less;
    }
    place_order(tenant, regular, is_repeat_day(day));

    if (is_freight_day(day))
      reserve_freight(tenant, prefix + "freight:" + point.date, order_minor, day);
    if (is_oversized_day(day)) place_oversized_order(tenant, prefix + "big:" + point.date, point);
    if (is_wire_transfer_day(day)) place_wire_transfer(tenant, prefix + "wire:" + point.date);
    if (is_over_budget_day(day)) exceed_budget(tenant, prefix + "over:" + point.date, point);
  }

  void read_final(DemoTenant& tenant) {
    CallResult view = session_.call("final_read", http::verb::get, "/v1/tenant", nullptr,
                                    tenant.tokens.viewer, {"200"});
    if (view.ok()) tenant.report->final_view = view.body;
  }

 private:
  json order_payload(const PricePoint& point, std::int64_t quantity) const {
    // The price stays the decimal text from the series, so no reader has to trust a float.
    return {{"commodity", series_.name}, {"date", point.date},
            {"price", point.price_text}, {"unit_price_minor", point.price_minor},
            {"quantity", quantity},      {"currency", "USD"}};
  }

  void place_order(DemoTenant& tenant, const Order& order, bool repeat = false) {
    TenantReport& report = *tenant.report;
    json body = {{"action_id", order.action_id},
                 {"kind", order.kind},
                 {"amount_minor", order.amount_minor},
                 {"payload", order.payload}};
    CallResult proposed = session_.call("propose", http::verb::post, "/v1/actions", body,
                                        tenant.tokens.operator_role, {"201"});
    if (!proposed.ok()) return;

    if (repeat) {
      // The same request again must return the first outcome; a changed amount must conflict.
      session_.call("propose_repeat", http::verb::post, "/v1/actions", body,
                    tenant.tokens.operator_role, {"2xx"});
      json changed = body;
      changed["amount_minor"] = order.amount_minor + 1;
      session_.call("propose_conflict", http::verb::post, "/v1/actions", changed,
                    tenant.tokens.operator_role, {"409 idempotency_conflict"});
    }

    std::string action_path = "/v1/actions/" + order.action_id;
    if (proposed.body.value("status", "") == "pending_approval") {
      // The approval names the amount and payload hash the approver saw, so a changed action
      // cannot ride on it.
      json approval = {{"amount_minor", order.amount_minor},
                       {"payload_sha256", gateway::payload_sha256(order.payload)}};
      CallResult approved = session_.call("approve", http::verb::post, action_path + "/approve",
                                          approval, tenant.tokens.approver, {"200"});
      if (!approved.ok()) return;
    }

    CallResult executed =
        session_.call("execute", http::verb::post, action_path + "/execute", json::object(),
                      tenant.tokens.approver, {order.execute_expected});
    if (!executed.ok()) {
      if (executed.code == "guardrail_blocked") ++report.orders_blocked;
      if (executed.code == "limit_exceeded") ++report.orders_over_budget;
      if (executed.transport_ok) {
        session_.call("reject", http::verb::post, action_path + "/reject", json::object(),
                      tenant.tokens.approver, {"200"});
      }
      return;
    }

    ++report.orders_executed;
    std::string reservation_id = executed.body.value("reservation_id", "");
    if (reservation_id.empty()) reservation_id = "action:" + order.action_id;
    settle(tenant, reservation_id, order.amount_minor, order.settlement, true);
  }

  void settle(DemoTenant& tenant, const std::string& reservation_id, MinorUnits reserved_minor,
              Settlement settlement, bool is_order) {
    std::string path = "/v1/reservations/" + reservation_id;
    if (settlement == Settlement::release) {
      CallResult released = session_.call("release", http::verb::post, path + "/release",
                                          json::object(), tenant.tokens.operator_role, {"200"});
      if (released.ok() && is_order) ++tenant.report->orders_released;
      return;
    }
    MinorUnits amount =
        settlement == Settlement::commit_less ? slightly_less(reserved_minor) : reserved_minor;
    CallResult committed =
        session_.call("commit", http::verb::post, path + "/commit", {{"amount_minor", amount}},
                      tenant.tokens.operator_role, {"200"});
    if (committed.ok()) tenant.report->committed_run_minor += amount;
  }

  void reserve_freight(DemoTenant& tenant, const std::string& reservation_id,
                       MinorUnits order_minor, std::size_t day) {
    MinorUnits amount = freight_minor(order_minor);
    json body = {
        {"reservation_id", reservation_id}, {"amount_minor", amount}, {"ttl_s", reservation_ttl_s}};
    CallResult reserved = session_.call("reserve", http::verb::post, "/v1/reservations", body,
                                        tenant.tokens.operator_role, {"201"});
    if (!reserved.ok()) return;
    Settlement settlement = day % 3 == 0 ? Settlement::release : Settlement::commit_less;
    settle(tenant, reservation_id, amount, settlement, false);
  }

  // A quantity just large enough to exceed the max_amount guardrail: blocked on blocking and
  // escalating tenants, executed with a warning (then cancelled) on the others.
  void place_oversized_order(DemoTenant& tenant, const std::string& action_id,
                             const PricePoint& point) {
    std::int64_t quantity = tenant.cap_minor / point.price_minor + 1;
    Order order;
    order.action_id = action_id;
    order.kind = "create_po";
    order.amount_minor = checked_product(quantity, point.price_minor);
    order.payload = order_payload(point, quantity);
    bool warns = tenant.cap_enforcement == "warn";
    order.execute_expected = warns ? "200" : "409 guardrail_blocked";
    order.settlement = Settlement::release;
    place_order(tenant, order);
  }

  // A kind outside the allowed_kinds rule: blocked, or executed with a warning.
  void place_wire_transfer(DemoTenant& tenant, const std::string& action_id) {
    Order order;
    order.action_id = action_id;
    order.kind = "wire_transfer";
    order.amount_minor = wire_transfer_minor;
    order.payload = {{"beneficiary", "demo-supplier"}, {"currency", "USD"}};
    bool blocks = tenant.kinds_enforcement == "block";
    order.execute_expected = blocks ? "409 guardrail_blocked" : "200";
    place_order(tenant, order);
  }

  // Asks for one unit more than the whole daily limit, so the budget must reject it whatever was
  // spent before. Tenants whose max_amount rule only warns get it as a purchase order, the others
  // as a plain reservation, because their guardrail would block the order before the budget.
  void exceed_budget(DemoTenant& tenant, const std::string& id, const PricePoint& point) {
    MinorUnits amount = std::min(tenant.report->limit_minor + 1, domain::amount_minor_max);
    if (tenant.cap_enforcement == "warn") {
      Order order;
      order.action_id = id;
      order.kind = "create_po";
      order.amount_minor = amount;
      order.payload = order_payload(point, amount / point.price_minor);
      order.execute_expected = "409 limit_exceeded";
      place_order(tenant, order);
      return;
    }
    json body = {{"reservation_id", id}, {"amount_minor", amount}, {"ttl_s", reservation_ttl_s}};
    CallResult reserved = session_.call("reserve", http::verb::post, "/v1/reservations", body,
                                        tenant.tokens.operator_role, {"409 limit_exceeded"});
    if (reserved.code == "limit_exceeded") ++tenant.report->orders_over_budget;
  }

  Session& session_;
  const LoadOptions& options_;
  const PriceSeries& series_;
};

}  // namespace

void run_demo_scenario(const LoadOptions& options, Progress& progress, Recorder& total,
                       LoadSummary& summary) {
  summary.series = read_price_series(options.series_file, options.from, options.days);
  const PriceSeries& series = *summary.series;
  if (series.points.empty()) {
    throw std::runtime_error("series " + options.series_file + " has no tradable rows from '" +
                             options.from + "': choose another --from or --series");
  }
  MinorUnits price_max_minor = 0;
  for (const PricePoint& point : series.points) {
    price_max_minor = std::max(price_max_minor, point.price_minor);
  }

  LoadOptions run_options = options;
  if (run_options.duration.count() == 0) run_options.duration = demo_duration_default;
  summary.tenant_reports.resize(options.tenants);
  std::vector<DemoTenant> tenants;
  for (std::size_t i = 0; i < options.tenants; ++i) {
    tenants.push_back(
        configure_tenant(i, run_options, series, price_max_minor, summary.tenant_reports[i]));
  }

  std::size_t workers = std::min(options.concurrency, options.tenants);
  progress.units_total = options.tenants * series.points.size();
  auto deadline = std::chrono::steady_clock::now() + run_options.duration;
  std::atomic<bool> stopped_early{false};

  // Each worker owns the tenants whose index is congruent to its own, so one tenant's requests
  // run in order and its expected outcomes do not depend on thread timing.
  run_workers(run_options, workers, progress, total, [&](std::size_t worker, Session& session) {
    DemoWorker demo(session, run_options, series);
    for (std::size_t t = worker; t < tenants.size(); t += workers) demo.set_up(tenants[t]);
    for (std::size_t day = 0; day < series.points.size(); ++day) {
      if (std::chrono::steady_clock::now() >= deadline) {
        stopped_early = true;
        break;
      }
      for (std::size_t t = worker; t < tenants.size(); t += workers) {
        demo.trade_day(tenants[t], day);
        progress.units_done.fetch_add(1, std::memory_order_relaxed);
      }
    }
    for (std::size_t t = worker; t < tenants.size(); t += workers) demo.read_final(tenants[t]);
  });

  summary.concurrency = workers;
  if (stopped_early) {
    summary.notes.push_back("stopped at the " + std::to_string(run_options.duration.count()) +
                            " s limit after " + std::to_string(progress.units_done.load()) +
                            " of " + std::to_string(progress.units_total) + " tenant-days");
  }
}

}  // namespace bulwark::cli
