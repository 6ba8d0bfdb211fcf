// The CLI flag parser: typed values, ranges, and errors naming the flag.
#include <gtest/gtest.h>

#include "tensor/error.h"
#include "tools/flags.h"

using nf::tools::Flags;

namespace {
std::string error_of(Flags& f, void (*fn)(Flags&)) {
  try {
    fn(f);
  } catch (const nf::Error& e) {
    return e.what();
  }
  return "<no error>";
}
}  // namespace

TEST(Flags, ParsesBothSpellingsSwitchesAndPositionals) {
  Flags f("train", {"--epochs", "3", "--lr=0.5", "--verbose", "dir"});
  EXPECT_EQ(f.integer("epochs", 1, 1, 100), 3);
  EXPECT_DOUBLE_EQ(f.real("lr", 0.1, 0, 10), 0.5);
  EXPECT_TRUE(f.has("verbose"));
  EXPECT_FALSE(f.has("quiet"));
  EXPECT_EQ(f.text("model", "mlp"), "mlp");
  EXPECT_EQ(f.positionals(), std::vector<std::string>{"dir"});
  EXPECT_NO_THROW(f.finish());
}

TEST(Flags, RejectsBadValuesUnknownFlagsAndRepeats) {
  Flags a("train", {"--epochs", "three"});
  EXPECT_EQ(error_of(a, [](Flags& f) { f.integer("epochs", 1, 1, 100); }),
            "nasforge train: --epochs expects an integer, got 'three'");
  Flags b("train", {"--epochs", "0"});
  EXPECT_EQ(error_of(b, [](Flags& f) { f.integer("epochs", 1, 1, 100); }),
            "nasforge train: --epochs must be in [1, 100], got 0");
  Flags c("train", {"--lr", "nan"});
  EXPECT_EQ(error_of(c, [](Flags& f) { f.real("lr", 0.1, 0, 1); }),
            "nasforge train: --lr expects a number, got 'nan'");
  Flags d("train", {"--epoch", "3"});
  EXPECT_EQ(error_of(d, [](Flags& f) {
              f.integer("epochs", 1, 1, 100);
              f.finish();
            }),
            "nasforge train: unknown flag --epoch (valid: --epochs)");
  Flags e("train", {"--lr", "1", "--lr=2"});
  EXPECT_EQ(error_of(e, [](Flags& f) { f.real("lr", 0.1, 0, 10); }),
            "nasforge train: --lr given more than once");
  Flags g("train", {"--lr"});
  EXPECT_EQ(error_of(g, [](Flags& f) { f.real("lr", 0.1, 0, 10); }), "nasforge train: --lr needs a value");
  Flags h("info", {"extra"});
  EXPECT_EQ(error_of(h, [](Flags& f) { f.finish(); }), "nasforge info: unexpected argument 'extra'");
}
