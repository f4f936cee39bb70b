// The key tree a config struct declares (names, docs, nesting), without values: what command-line
// overrides are checked against, since a key may be absent from the file but still valid.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config_reader.h"

namespace fct::config {

struct SchemaNode {
  enum class Kind {
    kValue,       // a scalar or a list of scalars
    kStruct,      // a nested struct: its keys are children
    kStructList,  // a list of structs: children describe one element; overrides replace the list
  };

  std::string key;  // "" for the root
  std::string doc;
  Kind kind = Kind::kStruct;
  std::vector<SchemaNode> children;

  const SchemaNode* child(const std::string& name) const {
    for (const auto& node : children)
      if (node.key == name) return &node;
    return nullptr;
  }
  std::vector<std::string> child_keys() const {
    std::vector<std::string> keys;
    for (const auto& node : children) keys.push_back(node.key);
    return keys;
  }
};

template <class T>
void describe_fields(SchemaNode& node, T& config);

// The visitor that adds one struct's keys to a schema node.
class SchemaBuilder {
 public:
  explicit SchemaBuilder(SchemaNode& node) : node_(node) {}

  template <class T, class... Rest>
  void operator()(const std::string& key, T& field, const std::string& doc, Rest&&...) {
    SchemaNode child;
    child.key = key;
    child.doc = doc;
    if constexpr (is_config_struct_v<T>) {
      child.kind = SchemaNode::Kind::kStruct;
      describe_fields(child, field);
    } else if constexpr (is_vector_v<T>) {
      using Element = typename T::value_type;
      child.kind = SchemaNode::Kind::kValue;
      if constexpr (is_config_struct_v<Element>) {
        child.kind = SchemaNode::Kind::kStructList;
        Element element{};
        describe_fields(child, element);
      }
    } else {
      child.kind = SchemaNode::Kind::kValue;
    }
    node_.children.push_back(std::move(child));
  }

 private:
  SchemaNode& node_;
};

template <class T>
void describe_fields(SchemaNode& node, T& config) {
  SchemaBuilder builder(node);
  config.visit(builder);
}

template <class T>
SchemaNode schema_of() {
  T config{};
  SchemaNode root;
  describe_fields(root, config);
  return root;
}

}  // namespace fct::config
