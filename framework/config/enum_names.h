// Closed sets of choices (an embedding head, a failure mode, a distance) as enums that configs read
// and write by name, so code switches on types and a misspelt name is a config error with a
// suggestion. An enum joins by declaring its names next to itself, in a function found by
// argument-dependent lookup:
//
//   enum class Head { kConv, kLinear };
//   constexpr EnumNames<Head, 2> enum_names(Head) {
//     return {{{Head::kConv, "conv"}, {Head::kLinear, "linear"}}};
//   }
//
// The config reader, writer and schema then handle `Head` fields like strings.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fct::config {

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

template <class E, std::size_t N>
using EnumNames = std::array<EnumName<E>, N>;

namespace detail {
template <class E, class = void>
struct HasEnumNames : std::false_type {};
template <class E>
struct HasEnumNames<E, std::void_t<decltype(enum_names(std::declval<E>()))>> : std::true_type {};
}  // namespace detail

// True for enums that declare their names as above.
template <class E>
inline constexpr bool is_named_enum_v = std::is_enum_v<E>&& detail::HasEnumNames<E>::value;

// The name of `value` as YAML writes it.
template <class E>
std::string name_of(E value) {
  static_assert(is_named_enum_v<E>, "declare enum_names() for this enum");
  for (const auto& entry : enum_names(E{}))
    if (entry.value == value) return std::string(entry.name);
  return "<" + std::to_string(static_cast<long long>(value)) + ">";  // not a declared value
}

// The value named `name`; nullopt for a name the enum does not declare.
template <class E>
std::optional<E> enum_from_name(std::string_view name) {
  static_assert(is_named_enum_v<E>, "declare enum_names() for this enum");
  for (const auto& entry : enum_names(E{}))
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

// Every name, in declaration order (for messages and command-line choices).
template <class E>
std::vector<std::string> names_of() {
  std::vector<std::string> names;
  for (const auto& entry : enum_names(E{})) names.emplace_back(entry.name);
  return names;
}

}  // namespace fct::config
