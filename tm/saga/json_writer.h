// A small JSON writer for records written on every saga's path: appends
// straight into one string, where a JSON document object would allocate a
// node per value. Strings must be valid UTF-8 (CheckSagaDefinition refuses
// others); control characters, quotes and backslashes are escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace xatm {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(*out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // A member's name; its value follows.
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Double(double value);
  void Bool(bool value);
  // Key and value at once.
  void Member(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Member(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }

 private:
  void Open(char c);
  void Close(char c);
  void Separate();

  std::string& out_;
  bool first_ = true;  // nothing yet in the current object or array
};

// Whether `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace xatm
