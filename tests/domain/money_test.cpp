#include "domain/money.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace bulwark::domain {
namespace {

constexpr MinorUnits int64_max = std::numeric_limits<MinorUnits>::max();
constexpr MinorUnits int64_min = std::numeric_limits<MinorUnits>::min();

TEST(Money, AddReturnsSum) {
  ASSERT_EQ(checked_add(2, 3), MinorUnits{5});
  ASSERT_EQ(checked_add(int64_max - 1, 1), int64_max);
  ASSERT_EQ(checked_add(-5, 3), MinorUnits{-2});
}

TEST(Money, AddDetectsOverflow) {
  EXPECT_EQ(checked_add(int64_max, 1), std::nullopt);
  EXPECT_EQ(checked_add(1, int64_max), std::nullopt);
  EXPECT_EQ(checked_add(int64_min, -1), std::nullopt);
  EXPECT_EQ(checked_add(int64_max, int64_max), std::nullopt);
}

TEST(Money, SubDetectsOverflow) {
  EXPECT_EQ(checked_sub(10, 3), MinorUnits{7});
  EXPECT_EQ(checked_sub(0, int64_max), -int64_max);
  EXPECT_EQ(checked_sub(int64_min, 1), std::nullopt);
  EXPECT_EQ(checked_sub(0, int64_min), std::nullopt);
  EXPECT_EQ(checked_sub(int64_max, -1), std::nullopt);
}

TEST(Money, MulDetectsOverflow) {
  EXPECT_EQ(checked_mul(1'000'000, 1'000'000), MinorUnits{1'000'000'000'000});
  EXPECT_EQ(checked_mul(int64_max, 1), int64_max);
  EXPECT_EQ(checked_mul(int64_max, 2), std::nullopt);
  EXPECT_EQ(checked_mul(int64_min, -1), std::nullopt);
  EXPECT_EQ(checked_mul(amount_minor_max, amount_minor_max), std::nullopt);
}

TEST(Money, AmountValidityBounds) {
  struct Case {
    std::int64_t amount;
    bool valid;
  };
  const Case cases[] = {
      {0, false},
      {1, true},
      {1'000'000'000'000'000, true},
      {1'000'000'000'000'001, false},
      {-1, false},
      {int64_min, false},
      {int64_max, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(is_valid_amount(c.amount), c.valid) << "amount " << c.amount;
  }
}

}  // namespace
}  // namespace bulwark::domain
