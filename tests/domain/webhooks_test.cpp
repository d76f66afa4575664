// Tests of the inbound Stripe webhook inbox (domain/webhooks.hpp). Deliveries are built from the
// recorded Stripe events in the shared data folder, changing only ids, `created`, `type` and
// status, as a real endpoint would receive them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/audit.hpp"
#include "domain/webhooks.hpp"
#include "test_support.hpp"

namespace bulwark::domain {
namespace {

using nlohmann::json;
using testing::at;
using testing::code_of;
using testing::payload_hash;
using testing::Tenant;
using testing::type_names;

using Names = std::vector<std::string>;

const TimePoint t0 = at("2026-06-15T10:00:00Z");
const std::string events_dir = std::string(BULWARK_SHARED_DATA) + "/stripe/events";
const std::string customer = "cus_00000000000000";
const std::string subscription = "sub_000000000000000000000000";

json load_event(const std::string& name) {
  std::ifstream file(events_dir + "/" + name + ".json");
  if (!file) throw std::runtime_error("cannot read recorded Stripe event " + name);
  return json::parse(file);
}

// A recorded subscription event with its own id, created time and status.
json subscription_event(const std::string& file, const std::string& id, std::int64_t created,
                        const std::string& status) {
  json event = load_event(file);
  event["id"] = id;
  event["created"] = created;
  event["data"]["object"]["status"] = status;
  return event;
}

// A recorded invoice event, pointed at `subscription_id` (the recorded one names none).
json invoice_event(const std::string& type, const std::string& id, std::int64_t created,
                   const std::string& subscription_id) {
  json event = load_event(type);
  event["id"] = id;
  event["created"] = created;
  event["data"]["object"]["subscription"] = subscription_id;
  return event;
}

// One delivery of `event`. The gateway hashes the body; here a fixed digit stands for the hash.
ReceiveStripeEvent delivery(const json& event, char body_digit = 'a', std::int64_t attempts_max = 3) {
  ReceiveStripeEvent command;
  command.event_id = event.at("id").get<std::string>();
  command.event_type = event.at("type").get<std::string>();
  command.created = event.at("created").get<std::int64_t>();
  command.customer_id = customer;
  command.raw = event.dump();
  command.attempts_max = attempts_max;
  command.body_sha256 = payload_hash(body_digit);
  return command;
}

const SubscriptionState& subscription_of(const Tenant& tenant, const std::string& id = subscription) {
  return tenant.state.webhooks.subscriptions.at(id);
}

const InboxEntry& entry_of(const Tenant& tenant, const std::string& event_id) {
  return tenant.state.webhooks.events.at(event_id);
}

// A tenant whose subscription was created active at `created`.
Tenant tenant_with_active_subscription(std::int64_t created = 1000) {
  Tenant tenant;
  tenant.principal = "stripe";
  tenant.given(SetStripeCustomers{{customer}}, t0);
  tenant.given(
      delivery(subscription_event("customer.subscription.created", "evt_created", created, "active")),
      t0);
  return tenant;
}

TEST(WebhookTransitions, TableAllowsOnlyListedChanges) {
  const std::vector<std::string> statuses = {"incomplete", "incomplete_expired", "trialing",
                                             "active",     "past_due",           "unpaid",
                                             "canceled",   "paused"};
  const std::set<std::pair<std::string, std::string>> allowed = {
      {"incomplete", "active"}, {"incomplete", "incomplete_expired"}, {"incomplete", "canceled"},
      {"trialing", "active"},   {"trialing", "past_due"},             {"trialing", "unpaid"},
      {"trialing", "canceled"}, {"trialing", "paused"},               {"active", "past_due"},
      {"active", "unpaid"},     {"active", "canceled"},               {"past_due", "active"},
      {"past_due", "unpaid"},   {"past_due", "canceled"},             {"unpaid", "active"},
      {"unpaid", "canceled"},   {"paused", "active"},                 {"paused", "canceled"}};
  for (const auto& from : statuses) {
    EXPECT_TRUE(is_subscription_status(from)) << from;
    for (const auto& to : statuses) {
      bool expected = allowed.count({from, to}) == 1;
      EXPECT_EQ(is_allowed_transition(from, to), expected) << from << " -> " << to;
    }
  }
}

TEST(WebhookTransitions, TerminalAndUnknownStatuses) {
  EXPECT_TRUE(is_terminal_status("canceled"));
  EXPECT_TRUE(is_terminal_status("incomplete_expired"));
  EXPECT_FALSE(is_terminal_status("active"));
  EXPECT_FALSE(is_subscription_status("ended"));
  EXPECT_FALSE(is_subscription_status(""));
  EXPECT_FALSE(is_allowed_transition("active", ""));
  EXPECT_FALSE(is_allowed_transition("ended", "active"));
}

TEST(WebhookDecide, SubscriptionCreatedApplied) {
  Tenant tenant;
  tenant.given(SetStripeCustomers{{customer}}, t0);
  json event = subscription_event("customer.subscription.created", "evt_1", 1000, "active");
  Decision d = tenant.run(delivery(event), t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), Names{"webhook_applied"});
  const auto& applied = std::get<WebhookApplied>(d.events[0]);
  EXPECT_EQ(applied.event_id, "evt_1");
  EXPECT_EQ(applied.subscription_id, subscription);
  EXPECT_EQ(applied.customer_id, customer);
  EXPECT_EQ(applied.status, "active");
  EXPECT_EQ(applied.previous_status, "");
  EXPECT_EQ(applied.body_sha256, payload_hash('a'));
  EXPECT_EQ(subscription_of(tenant).status, "active");
  EXPECT_EQ(subscription_of(tenant).status_event_id, "evt_1");
  EXPECT_EQ(subscription_of(tenant).status_event_created, 1000);
  EXPECT_EQ(entry_of(tenant, "evt_1").status, InboxStatus::applied);
}

TEST(WebhookDecide, DuplicateSameBodyWritesNothing) {
  Tenant tenant = tenant_with_active_subscription();
  json updated = subscription_event("customer.subscription.updated", "evt_2", 2000, "past_due");
  ASSERT_EQ(code_of(tenant.run(delivery(updated), t0)), "accepted");
  TenantState before = tenant.state;

  for (int i = 0; i < 3; ++i) {
    Decision again = tenant.run(delivery(updated), t0);
    EXPECT_EQ(code_of(again), "accepted") << "redelivery " << i;
    EXPECT_TRUE(again.events.empty()) << "redelivery " << i;
  }
  EXPECT_TRUE(tenant.state == before);
  json view = webhook_outcome_view(tenant.state, delivery(updated));
  EXPECT_EQ(view.at("status"), "applied");
}

TEST(WebhookDecide, SameIdOtherBodyConflicts) {
  Tenant tenant = tenant_with_active_subscription();
  json first = subscription_event("customer.subscription.updated", "evt_2", 2000, "past_due");
  ASSERT_EQ(code_of(tenant.run(delivery(first, 'a'), t0)), "accepted");

  json other_status = subscription_event("customer.subscription.updated", "evt_2", 2000, "unpaid");
  Decision conflict = tenant.run(delivery(other_status, 'b'), t0);
  EXPECT_EQ(code_of(conflict), "idempotency_conflict");
  EXPECT_TRUE(conflict.events.empty());

  // The recorded files share their zeroed ids across types, which must conflict too.
  json other_type = subscription_event("customer.subscription.deleted", "evt_2", 2000, "canceled");
  Decision type_conflict = tenant.run(delivery(other_type, 'a'), t0);
  EXPECT_EQ(code_of(type_conflict), "idempotency_conflict");
  EXPECT_TRUE(type_conflict.events.empty());
  EXPECT_EQ(subscription_of(tenant).status, "past_due");
}

TEST(WebhookDecide, UnhashedDeliveryStillDeduplicates) {
  Tenant tenant = tenant_with_active_subscription();
  ReceiveStripeEvent unhashed =
      delivery(subscription_event("customer.subscription.updated", "evt_2", 2000, "past_due"));
  unhashed.body_sha256.clear();
  ASSERT_EQ(code_of(tenant.run(unhashed, t0)), "accepted");
  Decision again = tenant.run(unhashed, t0);
  EXPECT_EQ(code_of(again), "accepted");
  EXPECT_TRUE(again.events.empty());
}

TEST(WebhookDecide, StaleEventIgnored) {
  Tenant tenant = tenant_with_active_subscription(1000);
  json newer = subscription_event("customer.subscription.updated", "evt_new", 3000, "past_due");
  ASSERT_EQ(code_of(tenant.run(delivery(newer), t0)), "accepted");

  json older = subscription_event("customer.subscription.updated", "evt_old", 2000, "unpaid");
  Decision d = tenant.run(delivery(older), t0);
  ASSERT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), Names{"webhook_ignored"});
  EXPECT_EQ(std::get<WebhookIgnored>(d.events[0]).reason, "stale");
  EXPECT_EQ(subscription_of(tenant).status, "past_due");
  EXPECT_EQ(subscription_of(tenant).status_event_id, "evt_new");
  EXPECT_EQ(subscription_of(tenant).last_created, 3000);
}

TEST(WebhookDecide, RecordedDeletedOlderThanCreatedIsStale) {
  // In the recorded files the deletion's `created` is 13 s before the creation's.
  Tenant tenant;
  tenant.given(SetStripeCustomers{{customer}}, t0);
  json created = load_event("customer.subscription.created");
  created["id"] = "evt_created";
  json deleted = load_event("customer.subscription.deleted");
  deleted["id"] = "evt_deleted";
  ASSERT_LT(deleted.at("created").get<std::int64_t>(), created.at("created").get<std::int64_t>());
  ASSERT_EQ(code_of(tenant.run(delivery(created), t0)), "accepted");
  Decision d = tenant.run(delivery(deleted), t0);
  ASSERT_EQ(type_names(d.events), Names{"webhook_ignored"});
  EXPECT_EQ(std::get<WebhookIgnored>(d.events[0]).reason, "stale");
  EXPECT_EQ(subscription_of(tenant).status, "active");
}

TEST(WebhookDecide, InvoicePaidAfterDeletionKeepsCanceled) {
  Tenant tenant = tenant_with_active_subscription(1000);
  json failed = invoice_event("invoice.payment_failed", "evt_failed", 2000, subscription);
  ASSERT_EQ(type_names(tenant.run(delivery(failed), t0).events), Names{"webhook_applied"});
  ASSERT_EQ(subscription_of(tenant).status, "past_due");
  json deleted = subscription_event("customer.subscription.deleted", "evt_deleted", 4000, "canceled");
  ASSERT_EQ(type_names(tenant.run(delivery(deleted), t0).events), Names{"webhook_applied"});

  // Paid before the deletion, delivered after it: stale.
  json paid_before = invoice_event("invoice.paid", "evt_paid_1", 3000, subscription);
  Decision stale = tenant.run(delivery(paid_before), t0);
  ASSERT_EQ(type_names(stale.events), Names{"webhook_ignored"});
  EXPECT_EQ(std::get<WebhookIgnored>(stale.events[0]).reason, "stale");

  // Paid after the deletion: the subscription is terminal.
  json paid_after = invoice_event("invoice.paid", "evt_paid_2", 5000, subscription);
  Decision terminal = tenant.run(delivery(paid_after), t0);
  ASSERT_EQ(type_names(terminal.events), Names{"webhook_ignored"});
  EXPECT_EQ(std::get<WebhookIgnored>(terminal.events[0]).reason, "terminal_status");

  // A subscription event that would reactivate it is ignored as well.
  json reactivated = subscription_event("customer.subscription.updated", "evt_up", 6000, "active");
  Decision ignored = tenant.run(delivery(reactivated), t0);
  ASSERT_EQ(type_names(ignored.events), Names{"webhook_ignored"});
  EXPECT_EQ(std::get<WebhookIgnored>(ignored.events[0]).reason, "terminal_status");

  EXPECT_EQ(subscription_of(tenant).status, "canceled");
  EXPECT_EQ(subscription_of(tenant).status_event_id, "evt_deleted");
  json view = subscription_view(tenant.state);
  EXPECT_EQ(view.at("status"), "canceled");
  EXPECT_EQ(view.at("event_id"), "evt_deleted");
  EXPECT_EQ(view.at("event_created"), 4000);
}

TEST(WebhookDecide, InvoicePaidReactivatesPastDue) {
  Tenant tenant = tenant_with_active_subscription(1000);
  tenant.given(delivery(invoice_event("invoice.payment_failed", "evt_failed", 2000, subscription)),
               t0);
  Decision d = tenant.run(
      delivery(invoice_event("invoice.payment_succeeded", "evt_paid", 3000, subscription)), t0);
  ASSERT_EQ(type_names(d.events), Names{"webhook_applied"});
  const auto& applied = std::get<WebhookApplied>(d.events[0]);
  EXPECT_EQ(applied.previous_status, "past_due");
  EXPECT_EQ(applied.status, "active");
  EXPECT_EQ(subscription_of(tenant).status, "active");
}

TEST(WebhookDecide, RecordedInvoiceWithoutSubscriptionIgnored) {
  Tenant tenant = tenant_with_active_subscription();
  json paid = load_event("invoice.paid");
  paid["id"] = "evt_paid";
  ASSERT_TRUE(paid["data"]["object"]["subscription"].is_null());
  Decision d = tenant.run(delivery(paid), t0);
  ASSERT_EQ(type_names(d.events), Names{"webhook_ignored"});
  EXPECT_EQ(std::get<WebhookIgnored>(d.events[0]).reason, "no_subscription");
}

TEST(WebhookDecide, InvoiceForUnknownSubscriptionIgnored) {
  Tenant tenant = tenant_with_active_subscription();
  Decision d =
      tenant.run(delivery(invoice_event("invoice.paid", "evt_paid", 2000, "sub_unknown")), t0);
  ASSERT_EQ(type_names(d.events), Names{"webhook_ignored"});
  EXPECT_EQ(std::get<WebhookIgnored>(d.events[0]).reason, "unknown_subscription");
}

TEST(WebhookDecide, InvoiceSubscriptionFromParentDetails) {
  Tenant tenant = tenant_with_active_subscription(1000);
  json failed = invoice_event("invoice.payment_failed", "evt_failed", 2000, subscription);
  failed["data"]["object"]["subscription"] = nullptr;
  failed["data"]["object"]["parent"] = {{"type", "subscription_details"},
                                        {"subscription_details", {{"subscription", subscription}}}};
  Decision d = tenant.run(delivery(failed), t0);
  ASSERT_EQ(type_names(d.events), Names{"webhook_applied"});
  EXPECT_EQ(subscription_of(tenant).status, "past_due");
}

TEST(WebhookDecide, EveryRecordedEventDecides) {
  // Each recorded file gets its own id; none may throw or fail to decide.
  Tenant tenant;
  tenant.given(SetStripeCustomers{{customer}}, t0);
  int index = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& file : std::filesystem::directory_iterator(events_dir)) {
    files.push_back(file.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 80u);
  for (const auto& path : files) {
    std::ifstream in(path);
    json event = json::parse(in);
    event["id"] = "evt_file_" + std::to_string(index++);
    Decision d = tenant.run(delivery(event), t0);
    std::string type = event.at("type");
    ASSERT_EQ(d.events.size(), 1u) << path;
    bool supported = type.rfind("customer.subscription.", 0) == 0 || type == "invoice.paid" ||
                     type == "invoice.payment_succeeded" || type == "invoice.payment_failed";
    if (!supported) {
      ASSERT_EQ(type_names(d.events), Names{"webhook_ignored"}) << path;
      EXPECT_EQ(std::get<WebhookIgnored>(d.events[0]).reason, "unsupported_type") << path;
    }
  }
  EXPECT_EQ(tenant.state.webhooks.events.size(), files.size());
}

TEST(WebhookDecide, MalformedObjectFails) {
  Tenant tenant = tenant_with_active_subscription();
  json no_status = subscription_event("customer.subscription.updated", "evt_bad", 2000, "active");
  no_status["data"]["object"].erase("status");
  Decision d = tenant.run(delivery(no_status), t0);
  EXPECT_EQ(code_of(d), "webhook_processing_failed");
  ASSERT_EQ(type_names(d.events), Names{"webhook_attempt_failed"});
  EXPECT_EQ(std::get<WebhookAttemptFailed>(d.events[0]).reason, "malformed_object");

  json unknown = subscription_event("customer.subscription.updated", "evt_unknown", 2000, "ended");
  Decision u = tenant.run(delivery(unknown), t0);
  EXPECT_EQ(code_of(u), "webhook_processing_failed");
  ASSERT_EQ(type_names(u.events), Names{"webhook_attempt_failed"});
  EXPECT_EQ(std::get<WebhookAttemptFailed>(u.events[0]).reason, "unknown_status");
}

TEST(WebhookDecide, FailuresCountThenDeadLetter) {
  Tenant tenant = tenant_with_active_subscription(1000);
  // active -> trialing is not in the table.
  json event = subscription_event("customer.subscription.updated", "evt_bad", 2000, "trialing");
  const std::int64_t attempts_max = 4;
  for (std::int64_t attempt = 1; attempt < attempts_max; ++attempt) {
    Decision d = tenant.run(delivery(event, 'a', attempts_max), t0);
    ASSERT_EQ(code_of(d), "webhook_processing_failed") << "attempt " << attempt;
    ASSERT_EQ(type_names(d.events), Names{"webhook_attempt_failed"}) << "attempt " << attempt;
    const auto& failed = std::get<WebhookAttemptFailed>(d.events[0]);
    EXPECT_EQ(failed.attempt, attempt);
    EXPECT_EQ(failed.reason, "invalid_transition");
    EXPECT_EQ(d.rejection->details.at("attempt"), attempt);
    EXPECT_EQ(entry_of(tenant, "evt_bad").status, InboxStatus::failed);
    EXPECT_EQ(entry_of(tenant, "evt_bad").attempts, attempt);
  }
  Decision last = tenant.run(delivery(event, 'a', attempts_max), t0);
  EXPECT_EQ(code_of(last), "accepted");
  ASSERT_EQ(type_names(last.events), Names{"webhook_dead_lettered"});
  const auto& dead = std::get<WebhookDeadLettered>(last.events[0]);
  EXPECT_EQ(dead.attempts, attempts_max);
  EXPECT_EQ(dead.reason, "invalid_transition");
  EXPECT_EQ(dead.raw, event.dump());
  EXPECT_EQ(entry_of(tenant, "evt_bad").status, InboxStatus::dead_lettered);
  EXPECT_EQ(subscription_of(tenant).status, "active");

  // A dead letter is final: one more delivery writes nothing.
  Decision after = tenant.run(delivery(event, 'a', attempts_max), t0);
  EXPECT_EQ(code_of(after), "accepted");
  EXPECT_TRUE(after.events.empty());

  json list = dead_letters_view(tenant.state).at("dead_letters");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("event_id"), "evt_bad");
  EXPECT_EQ(list[0].at("attempts"), attempts_max);
  EXPECT_EQ(list[0].at("reason"), "invalid_transition");
  EXPECT_FALSE(list[0].at("last_error").get<std::string>().empty());
}

TEST(WebhookDecide, OneAttemptMaxDeadLettersAtOnce) {
  Tenant tenant = tenant_with_active_subscription(1000);
  json event = subscription_event("customer.subscription.updated", "evt_bad", 2000, "trialing");
  Decision d = tenant.run(delivery(event, 'a', 1), t0);
  EXPECT_EQ(code_of(d), "accepted");
  ASSERT_EQ(type_names(d.events), Names{"webhook_dead_lettered"});
  EXPECT_EQ(std::get<WebhookDeadLettered>(d.events[0]).attempts, 1);
}

// A tenant whose subscription was created `incomplete` at 1000, from which past_due is not
// allowed until an event has made it active.
Tenant tenant_with_incomplete_subscription() {
  Tenant tenant;
  tenant.principal = "stripe";
  tenant.given(SetStripeCustomers{{customer}}, t0);
  tenant.given(delivery(subscription_event("customer.subscription.created", "evt_created", 1000,
                                           "incomplete")),
               t0);
  return tenant;
}

const json& past_due_event() {
  static const json event =
      subscription_event("customer.subscription.updated", "evt_past_due", 3000, "past_due");
  return event;
}

const json& activated_event() {
  static const json event =
      subscription_event("customer.subscription.updated", "evt_active", 2000, "active");
  return event;
}

TEST(WebhookDecide, FailedEventSucceedsOnRetry) {
  Tenant tenant = tenant_with_incomplete_subscription();
  Decision first = tenant.run(delivery(past_due_event()), t0);
  ASSERT_EQ(code_of(first), "webhook_processing_failed");
  EXPECT_EQ(entry_of(tenant, "evt_past_due").attempts, 1);

  // The missing event arrives late; the retry that Stripe sends next then applies.
  tenant.given(delivery(activated_event()), t0);
  Decision retry = tenant.run(delivery(past_due_event()), t0);
  ASSERT_EQ(code_of(retry), "accepted");
  ASSERT_EQ(type_names(retry.events), Names{"webhook_applied"});
  EXPECT_EQ(std::get<WebhookApplied>(retry.events[0]).previous_status, "active");
  EXPECT_EQ(subscription_of(tenant).status, "past_due");
  EXPECT_EQ(entry_of(tenant, "evt_past_due").status, InboxStatus::applied);
}

TEST(WebhookDecide, RequeueAfterFixApplies) {
  Tenant tenant = tenant_with_incomplete_subscription();
  ASSERT_EQ(code_of(tenant.run(delivery(past_due_event(), 'a', 2), t0)),
            "webhook_processing_failed");
  ASSERT_EQ(type_names(tenant.run(delivery(past_due_event(), 'a', 2), t0).events),
            Names{"webhook_dead_lettered"});
  tenant.given(delivery(activated_event()), t0);

  Decision requeued = tenant.run(RequeueWebhook{"evt_past_due"}, t0);
  ASSERT_EQ(code_of(requeued), "accepted");
  ASSERT_EQ((type_names(requeued.events)), (Names{"webhook_requeued", "webhook_applied"}));
  EXPECT_EQ(std::get<WebhookApplied>(requeued.events[1]).body_sha256, payload_hash('a'));
  EXPECT_EQ(entry_of(tenant, "evt_past_due").status, InboxStatus::applied);
  EXPECT_TRUE(entry_of(tenant, "evt_past_due").raw.empty());
  EXPECT_EQ(subscription_of(tenant).status, "past_due");
  EXPECT_TRUE(dead_letters_view(tenant.state).at("dead_letters").empty());

  // Only dead letters can be requeued.
  EXPECT_EQ(code_of(tenant.run(RequeueWebhook{"evt_past_due"}, t0)), "invalid_transition");
  EXPECT_EQ(code_of(tenant.run(RequeueWebhook{"evt_missing"}, t0)), "not_found");
  EXPECT_EQ(code_of(tenant.run(RequeueWebhook{"bad id"}, t0)), "invalid_request");
}

TEST(WebhookDecide, RequeueStillFailingDeadLettersAgain) {
  Tenant tenant = tenant_with_incomplete_subscription();
  ASSERT_EQ(type_names(tenant.run(delivery(past_due_event(), 'a', 1), t0).events),
            Names{"webhook_dead_lettered"});

  Decision again = tenant.run(RequeueWebhook{"evt_past_due"}, t0);
  EXPECT_EQ(code_of(again), "accepted");
  ASSERT_EQ((type_names(again.events)), (Names{"webhook_requeued", "webhook_dead_lettered"}));
  const auto& dead = std::get<WebhookDeadLettered>(again.events[1]);
  EXPECT_EQ(dead.attempts, 2);
  EXPECT_EQ(dead.raw, past_due_event().dump());
  EXPECT_EQ(entry_of(tenant, "evt_past_due").status, InboxStatus::dead_lettered);
  EXPECT_EQ(subscription_of(tenant).status, "incomplete");
}

TEST(WebhookDecide, ValidationRejectsBadInput) {
  ReceiveStripeEvent bad_id =
      delivery(subscription_event("customer.subscription.updated", "evt_x", 1, "active"));
  bad_id.event_id = "evt x";
  EXPECT_EQ(to_string(validate(Command{bad_id})->code), std::string("invalid_request"));

  ReceiveStripeEvent bad_hash =
      delivery(subscription_event("customer.subscription.updated", "evt_x", 1, "active"));
  bad_hash.body_sha256 = "ABC";
  EXPECT_EQ(to_string(validate(Command{bad_hash})->code), std::string("invalid_request"));

  ReceiveStripeEvent bad_attempts =
      delivery(subscription_event("customer.subscription.updated", "evt_x", 1, "active"));
  bad_attempts.attempts_max = 0;
  EXPECT_EQ(to_string(validate(Command{bad_attempts})->code), std::string("invalid_request"));

  EXPECT_TRUE(validate(Command{SetStripeCustomers{{"cus_a", "cus_b"}}}) == std::nullopt);
  EXPECT_TRUE(validate(Command{SetStripeCustomers{{"cus_a", "cus_a"}}}).has_value());
  EXPECT_TRUE(validate(Command{SetStripeCustomers{{"cus a"}}}).has_value());
}

TEST(WebhookDecide, SetCustomersSortsAndSkipsNoChange) {
  Tenant tenant;
  Decision set = tenant.run(SetStripeCustomers{{"cus_b", "cus_a"}}, t0);
  ASSERT_EQ(type_names(set.events), Names{"stripe_customers_set"});
  EXPECT_EQ(tenant.state.webhooks.customer_ids, (std::vector<std::string>{"cus_a", "cus_b"}));
  Decision same = tenant.run(SetStripeCustomers{{"cus_a", "cus_b"}}, t0);
  EXPECT_TRUE(same.events.empty());
}

TEST(WebhookState, SnapshotRoundTripKeepsInbox) {
  Tenant tenant = tenant_with_active_subscription(1000);
  tenant.given(delivery(invoice_event("invoice.payment_failed", "evt_failed", 2000, subscription)),
               t0);
  json bad = subscription_event("customer.subscription.updated", "evt_bad", 3000, "trialing");
  ASSERT_EQ(code_of(tenant.run(delivery(bad, 'c', 2), t0)), "webhook_processing_failed");
  json dead = subscription_event("customer.subscription.updated", "evt_dead", 3000, "incomplete");
  ASSERT_EQ(code_of(tenant.run(delivery(dead, 'd', 1), t0)), "accepted");
  json other = load_event("charge.succeeded");
  other["id"] = "evt_charge";
  tenant.given(delivery(other), t0);

  json snapshot = state_to_json(tenant.state);
  TenantState restored = state_from_json(json::parse(snapshot.dump()));
  EXPECT_TRUE(restored == tenant.state);
  const WebhookInbox& inbox = restored.webhooks;
  EXPECT_EQ(inbox.customer_ids, std::vector<std::string>{customer});
  EXPECT_EQ(inbox.events.at("evt_bad").status, InboxStatus::failed);
  EXPECT_EQ(inbox.events.at("evt_bad").attempts, 1);
  EXPECT_EQ(inbox.events.at("evt_bad").body_sha256, payload_hash('c'));
  EXPECT_EQ(inbox.events.at("evt_dead").status, InboxStatus::dead_lettered);
  EXPECT_EQ(inbox.events.at("evt_dead").raw, dead.dump());
  EXPECT_EQ(inbox.events.at("evt_charge").reason, "unsupported_type");
  EXPECT_EQ(inbox.subscriptions.at(subscription).status, "past_due");
  EXPECT_EQ(inbox.subscriptions.at(subscription).last_created, 2000);

  // The restored inbox deduplicates and counts attempts as the original does.
  Decision duplicate = decide(restored, delivery(other), t0);
  EXPECT_TRUE(duplicate.events.empty());
  Decision second = decide(restored, delivery(bad, 'c', 2), t0);
  ASSERT_EQ(type_names(second.events), Names{"webhook_dead_lettered"});
  EXPECT_EQ(code_of(decide(restored, delivery(other, 'e'), t0)), "idempotency_conflict");
}

TEST(WebhookState, SnapshotWithoutBodyHashLoads) {
  Tenant tenant = tenant_with_active_subscription();
  json snapshot = state_to_json(tenant.state);
  for (auto& item : snapshot["webhooks"]["events"]) item.erase("body_sha256");
  TenantState restored = state_from_json(snapshot);
  EXPECT_EQ(restored.webhooks.events.at("evt_created").body_sha256, "");
  json broken = snapshot;
  broken["webhooks"]["events"][0]["status"] = "processing";
  EXPECT_THROW((void)state_from_json(broken), std::invalid_argument);
}

TEST(WebhookEvents, JsonRoundTripForEveryType) {
  const std::string hash = payload_hash('f');
  std::vector<EventData> events = {
      WebhookApplied{"evt_1", "customer.subscription.updated", 10, customer, subscription,
                     "past_due", "active", hash},
      WebhookIgnored{"evt_2", "invoice.paid", 11, "stale", hash},
      WebhookAttemptFailed{"evt_3", "customer.subscription.updated", 12, 2, "invalid_transition",
                           "cannot change", hash},
      WebhookDeadLettered{"evt_4", "customer.subscription.updated", 13, 5, "invalid_transition",
                          "cannot change", "{\"id\":\"evt_4\"}", hash},
      WebhookRequeued{"evt_4", "customer.subscription.updated"},
      StripeCustomersSet{{"cus_a", "cus_b"}},
  };
  for (const auto& data : events) {
    json encoded = event_data_to_json(data);
    EventData decoded = event_data_from_json(type_of(data), encoded);
    EXPECT_EQ(event_data_to_json(decoded), encoded) << type_name(type_of(data));
  }
  json applied = event_data_to_json(events[0]);
  EXPECT_EQ(applied.at("event_id"), "evt_1");
  EXPECT_EQ(applied.at("event_type"), "customer.subscription.updated");
  EXPECT_EQ(applied.at("body_sha256"), hash);

  json old_form = applied;
  old_form.erase("body_sha256");
  auto decoded = std::get<WebhookApplied>(event_data_from_json(EventType::webhook_applied, old_form));
  EXPECT_EQ(decoded.body_sha256, "");
  json mistyped = applied;
  mistyped["created"] = "10";
  EXPECT_THROW((void)event_data_from_json(EventType::webhook_applied, mistyped),
               std::invalid_argument);
}

// Audit checks run on the state before each event, as the replay tool does.
std::optional<Violation> audit(const TenantState& before, EventData data) {
  Event event;
  event.seq = before.last_seq + 1;
  event.ts = t0;
  event.principal = "stripe";
  event.data = std::move(data);
  return check_event(before, event);
}

TEST(WebhookAudit, JournalOfRealRunIsClean) {
  Tenant tenant = tenant_with_active_subscription(1000);
  json bad = subscription_event("customer.subscription.updated", "evt_bad", 3000, "trialing");
  tenant.run(delivery(bad, 'a', 1), t0);
  tenant.run(RequeueWebhook{"evt_bad"}, t0);
  tenant.run(delivery(invoice_event("invoice.payment_failed", "evt_f", 2000, subscription)), t0);
  tenant.run(delivery(invoice_event("invoice.paid", "evt_p", 1500, subscription)), t0);
  TenantState replayed;
  for (const auto& event : tenant.journal) {
    auto violation = check_event(replayed, event);
    EXPECT_FALSE(violation.has_value())
        << "seq " << event.seq << ": " << violation->invariant << ": " << violation->message;
    apply(replayed, event);
  }
}

TEST(WebhookAudit, SecondFinalOutcomeViolates) {
  Tenant tenant = tenant_with_active_subscription(1000);
  auto applied_again = audit(tenant.state, WebhookApplied{"evt_created", "customer.subscription.created",
                                                          1000, customer, subscription, "active",
                                                          "", ""});
  ASSERT_TRUE(applied_again.has_value());
  EXPECT_EQ(applied_again->invariant, "webhook_once");
  auto ignored_again =
      audit(tenant.state, WebhookIgnored{"evt_created", "customer.subscription.created", 1000,
                                         "stale", ""});
  ASSERT_TRUE(ignored_again.has_value());
  EXPECT_EQ(ignored_again->invariant, "webhook_once");
  auto failed_after =
      audit(tenant.state, WebhookAttemptFailed{"evt_created", "customer.subscription.created",
                                               1000, 1, "invalid_transition", "x", ""});
  ASSERT_TRUE(failed_after.has_value());
  EXPECT_EQ(failed_after->invariant, "webhook_once");
  auto dead_after =
      audit(tenant.state, WebhookDeadLettered{"evt_created", "customer.subscription.created",
                                              1000, 1, "invalid_transition", "x", "{}", ""});
  ASSERT_TRUE(dead_after.has_value());
  EXPECT_EQ(dead_after->invariant, "webhook_once");
}

TEST(WebhookAudit, RequeueOfNonDeadLetterViolates) {
  Tenant tenant = tenant_with_active_subscription(1000);
  auto applied = audit(tenant.state, WebhookRequeued{"evt_created", "customer.subscription.created"});
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->invariant, "webhook_requeue_dead_letter");
  auto missing = audit(tenant.state, WebhookRequeued{"evt_none", "invoice.paid"});
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->invariant, "webhook_requeue_dead_letter");
}

TEST(WebhookAudit, StaleOrDisallowedApplyViolates) {
  Tenant tenant = tenant_with_active_subscription(2000);
  auto stale = audit(tenant.state, WebhookApplied{"evt_old", "customer.subscription.updated", 1000,
                                                  customer, subscription, "past_due", "active",
                                                  ""});
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->invariant, "webhook_allowed_transition");
  auto disallowed =
      audit(tenant.state, WebhookApplied{"evt_new", "customer.subscription.updated", 3000,
                                         customer, subscription, "trialing", "active", ""});
  ASSERT_TRUE(disallowed.has_value());
  EXPECT_EQ(disallowed->invariant, "webhook_allowed_transition");
  auto allowed = audit(tenant.state, WebhookApplied{"evt_ok", "customer.subscription.updated", 3000,
                                                    customer, subscription, "past_due", "active",
                                                    ""});
  EXPECT_FALSE(allowed.has_value());
}

}  // namespace
}  // namespace bulwark::domain
