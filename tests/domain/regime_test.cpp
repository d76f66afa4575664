#include "domain/regime.hpp"

#include <gtest/gtest.h>

#include "domain/decide.hpp"
#include "domain/market_data.hpp"
#include "domain/outbox.hpp"

namespace bulwark::domain {
namespace {

using namespace std::chrono_literals;

RegimeSettings wti_settings() { return RegimeSettings{"wti", 2000, 8000, 300}; }

TEST(Regime, HysteresisKeepsRegimeNearThreshold) {
  RegimeSettings s = wti_settings();
  struct Case {
    const char* current;
    MinorUnits value;
    const char* expected;
  };
  const Case cases[] = {
      {"balanced", 5000, "balanced"},
      {"balanced", 8000, "imbalanced_shortage"},
      {"balanced", 2000, "imbalanced_excess"},
      {"imbalanced_shortage", 7800, "imbalanced_shortage"},
      {"imbalanced_shortage", 7700, "imbalanced_shortage"},
      {"imbalanced_shortage", 7699, "balanced"},
      {"imbalanced_shortage", 1000, "imbalanced_excess"},
      {"imbalanced_excess", 2300, "imbalanced_excess"},
      {"imbalanced_excess", 2301, "balanced"},
      {"imbalanced_excess", -3698, "imbalanced_excess"},
      {"imbalanced_excess", 9000, "imbalanced_shortage"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(next_regime(c.current, c.value, s), c.expected) << c.current << " " << c.value;
  }
}

TEST(Regime, SettingsChecked) {
  EXPECT_FALSE(check_regime_settings(wti_settings()));
  EXPECT_TRUE(check_regime_settings(RegimeSettings{"WTI", 2000, 8000, 300}));
  EXPECT_TRUE(check_regime_settings(RegimeSettings{"wti", 8000, 2000, 300}));
  EXPECT_TRUE(check_regime_settings(RegimeSettings{"wti", 2000, 8000, -1}));
  EXPECT_TRUE(check_regime_settings(RegimeSettings{"wti", 2000, 8000, 3000}));
  EXPECT_FALSE(check_regime_settings(RegimeSettings{"wti", -5000, 8000, 0}));
}

TEST(MarketData, ParsesDecimalsWithoutFloatingPoint) {
  EXPECT_EQ(parse_decimal_minor("61.18", false), 6118);
  EXPECT_EQ(parse_decimal_minor("26", false), 2600);
  EXPECT_EQ(parse_decimal_minor("0.5", false), 50);
  EXPECT_EQ(parse_decimal_minor("-36.98", true), -3698);
  EXPECT_FALSE(parse_decimal_minor("-36.98", false));
  EXPECT_FALSE(parse_decimal_minor("", true));
  EXPECT_FALSE(parse_decimal_minor(".", true));
  EXPECT_FALSE(parse_decimal_minor("1.234", true));
  EXPECT_FALSE(parse_decimal_minor("1e3", true));
  EXPECT_FALSE(parse_decimal_minor("12.", true));
  EXPECT_FALSE(parse_decimal_minor(".5", true));
  EXPECT_FALSE(parse_decimal_minor("99999999999999999999", true));
}

TEST(MarketData, VersionsFollowDates) {
  EXPECT_EQ(observation_version("1970-01-02"), 1);
  EXPECT_EQ(observation_version("2020-04-20"), observation_version("2020-04-19").value() + 1);
  EXPECT_EQ(observation_version("1986-01"), observation_version("1986-01-01"));
  EXPECT_FALSE(observation_version("2020-02-30"));
  EXPECT_FALSE(observation_version("2020/01/01"));
}

TEST(MarketData, SkipsAndCountsBadRows) {
  std::string document = R"({"observations": [
      {"date": "2020-04-21", "value": "8.91"},
      {"date": "2020-04-20", "value": "-36.98"},
      {"date": "2020-04-22", "value": ""},
      {"date": "2020-04-23", "value": "."},
      {"date": "2020-04-24", "value": 15.99},
      {"date": "bad", "value": "1"},
      {"date": "2020-04-21", "value": "9.00"}]})";
  auto negative_allowed = parse_observations(document, true);
  ASSERT_TRUE(negative_allowed.error.empty());
  ASSERT_EQ(negative_allowed.observations.size(), 2u);
  EXPECT_EQ(negative_allowed.observations[0].date, "2020-04-20");
  EXPECT_EQ(negative_allowed.observations[0].value_minor, -3698);
  EXPECT_EQ(negative_allowed.observations[1].value_minor, 891);
  EXPECT_EQ(negative_allowed.bad_rows, 5u);

  auto positive_only = parse_observations(document, false);
  EXPECT_EQ(positive_only.observations.size(), 1u);
  EXPECT_EQ(positive_only.bad_rows, 6u);

  EXPECT_FALSE(parse_observations("[1]", true).error.empty());
  EXPECT_FALSE(parse_observations("{}", true).error.empty());
}

TEST(MarketData, NegativePolicyPerSeries) {
  EXPECT_TRUE(series_may_be_negative("wti"));
  EXPECT_TRUE(series_may_be_negative("brent-daily"));
  EXPECT_TRUE(series_may_be_negative("us-10y-yield"));
  EXPECT_FALSE(series_may_be_negative("gold"));
  EXPECT_FALSE(series_may_be_negative("cpi"));
}

// Folds the decision's events into the state the way the tenant actor does.
void commit(TenantState& state, Decision decision, const std::string& tenant = "acme") {
  ASSERT_FALSE(decision.rejection) << decision.rejection->message;
  for (auto& data : decision.events) {
    std::uint64_t seq = state.last_seq + 1;
    stamp_idempotency_key(data, tenant, seq);
    apply(state, Event{seq, from_unix_ms(0), "system", "test", data});
  }
}

Command observation(std::int64_t version, MinorUnits value) {
  return IntegrationCommand{ApplyObservation{"wti", version, "2020-04-20", value}};
}

TEST(RegimeDecide, ChangeEmitsEventAndOneAlert) {
  TenantState state;
  auto now = from_unix_ms(0);
  commit(state, decide(state, IntegrationCommand{SetAlertsTarget{"http://127.0.0.1:9000/a"}}, now));
  commit(state, decide(state, IntegrationCommand{SetRegime{wti_settings()}}, now));

  EXPECT_TRUE(decide(state, observation(10, 5000), now).events.empty());
  Decision change = decide(state, observation(11, 1500), now);
  ASSERT_EQ(change.events.size(), 2u);
  const auto* changed = std::get_if<RegimeChanged>(&change.events[0]);
  ASSERT_NE(changed, nullptr);
  EXPECT_EQ(changed->from, "balanced");
  EXPECT_EQ(changed->to, "imbalanced_excess");
  EXPECT_EQ(changed->observation_version, 11);
  ASSERT_NE(std::get_if<OutboxEnqueued>(&change.events[1]), nullptr);
  commit(state, change);

  ASSERT_EQ(state.integrations.outbox.size(), 1u);
  const OutboxEntry& entry = state.integrations.outbox.begin()->second;
  EXPECT_EQ(entry.idempotency_key, "acme:" + std::to_string(state.last_seq));
  EXPECT_EQ(entry.status, OutboxStatus::pending);

  // The same or an older observation again decides nothing.
  EXPECT_TRUE(decide(state, observation(11, 1500), now).events.empty());
  EXPECT_TRUE(decide(state, observation(10, 9000), now).events.empty());
}

TEST(RegimeDecide, DeliveryAndFailureRecorded) {
  TenantState state;
  auto now = from_unix_ms(0);
  commit(state, decide(state, IntegrationCommand{SetAlertsTarget{"http://127.0.0.1:9/a"}}, now));
  commit(state, decide(state, IntegrationCommand{SetRegime{wti_settings()}}, now));
  commit(state, decide(state, observation(11, 9000), now));
  std::string key = state.integrations.outbox.begin()->first;

  commit(state, decide(state, IntegrationCommand{RecordOutboxFailure{key, 1, "503"}}, now));
  EXPECT_EQ(state.integrations.outbox.at(key).attempts, 1);
  EXPECT_TRUE(
      decide(state, IntegrationCommand{RecordOutboxFailure{key, 1, "503"}}, now).events.empty());
  commit(state, decide(state, IntegrationCommand{RecordOutboxDelivery{key, 2}}, now));
  EXPECT_EQ(state.integrations.outbox.at(key).status, OutboxStatus::delivered);
  EXPECT_TRUE(decide(state, IntegrationCommand{RecordOutboxDelivery{key, 3}}, now).events.empty());
  auto missing = decide(state, IntegrationCommand{RecordOutboxDelivery{"acme:999", 1}}, now);
  ASSERT_TRUE(missing.rejection);
  EXPECT_EQ(missing.rejection->code, RejectionCode::not_found);

  // The snapshot form round-trips the outbox and the regime.
  EXPECT_EQ(state_from_json(state_to_json(state)), state);
  EXPECT_EQ(regime_view(state.integrations).at("current"), "imbalanced_shortage");
}

TEST(RegimeDecide, RejectsNonHttpTargets) {
  TenantState state;
  auto now = from_unix_ms(0);
  for (const char* url : {"https://example.com/a", "ftp://x/", "http://", "http://a b/",
                          "http://host:99999/", "http://user@host/"}) {
    auto decision = decide(state, IntegrationCommand{SetAlertsTarget{url}}, now);
    ASSERT_TRUE(decision.rejection) << url;
    EXPECT_EQ(decision.rejection->code, RejectionCode::invalid_request) << url;
  }
  EXPECT_FALSE(decide(state, IntegrationCommand{SetAlertsTarget{"http://127.0.0.1:9000/alerts"}},
                      now)
                   .rejection);
}

TEST(OutboxRetry, DelayGrowsAndIsCapped) {
  EXPECT_EQ(retry_delay(1, 100ms, 5000ms, 0.999999), 99ms);
  EXPECT_EQ(retry_delay(3, 100ms, 5000ms, 0.999999), 399ms);
  EXPECT_EQ(retry_delay(30, 100ms, 5000ms, 0.999999), 4999ms);
  EXPECT_EQ(retry_delay(30, 100ms, 5000ms, 0.0), 2500ms);
}

}  // namespace
}  // namespace bulwark::domain
