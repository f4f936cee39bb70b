// Parsing and applying Hydra-style command-line overrides (see overrides.h).
#include "framework/config/overrides.h"

#include <cctype>

#include "framework/core/suggest.h"

namespace fct::config {

namespace {

[[noreturn]] void fail(const Override& override, const std::string& problem) {
  throw ConfigError("command line override '" + override.text + "': " + problem);
}

std::string join_path(const std::vector<std::string>& path, std::size_t count) {
  std::string key;
  for (std::size_t i = 0; i < count && i < path.size(); ++i) key = join_key(key, path[i]);
  return key;
}

bool is_key_segment(const std::string& segment) {
  if (segment.empty()) return false;
  for (const char c : segment)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

std::string flow_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return "null";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// Every key path of the schema (not inside lists of structs), for suggestions.
void collect_paths(const SchemaNode& node, const std::string& prefix,
                   std::vector<std::string>& paths) {
  for (const auto& child : node.children) {
    const std::string path = join_key(prefix, child.key);
    paths.push_back(path);
    if (child.kind == SchemaNode::Kind::kStruct) collect_paths(child, path, paths);
  }
}

// " (did you mean 'optimizer.lr'?)" for an unknown segment path[index] below `parent`.
std::string suggest(const SchemaNode& root, const SchemaNode& parent,
                    const std::vector<std::string>& path, std::size_t index) {
  const std::string prefix = join_path(path, index);
  const std::string sibling = closest_match(path[index], parent.child_keys());
  if (!sibling.empty()) {
    // Keep the rest of the path when it fits the corrected key: `optimzer.lr` -> `optimizer.lr`.
    const SchemaNode* node = parent.child(sibling);
    std::string suggestion = join_key(prefix, sibling);
    for (std::size_t i = index + 1; i < path.size() && node; ++i) {
      node = node->child(path[i]);
      if (node) suggestion = join_key(suggestion, path[i]);
    }
    return " (did you mean '" + suggestion + "'?)";
  }
  // A key given without its section (`lr=0.1`) -> the one path that ends with it.
  std::string tail;
  for (std::size_t i = index; i < path.size(); ++i) tail = join_key(tail, path[i]);
  std::vector<std::string> paths, matches;
  collect_paths(root, "", paths);
  for (const auto& candidate : paths)
    if (candidate.size() > tail.size() &&
        candidate.compare(candidate.size() - tail.size(), tail.size(), tail) == 0 &&
        candidate[candidate.size() - tail.size() - 1] == '.')
      matches.push_back(candidate);
  return matches.size() == 1 ? " (did you mean '" + matches[0] + "'?)" : std::string();
}

// Checks the override's key path against the schema.
void check_schema(const Override& override, const SchemaNode& schema) {
  const SchemaNode* node = &schema;
  for (std::size_t i = 0; i < override.path.size(); ++i) {
    if (node->kind == SchemaNode::Kind::kValue)
      fail(override, "unknown key '" + override.key + "': '" + join_path(override.path, i) +
                         "' is a value, not a map of keys");
    if (node->kind == SchemaNode::Kind::kStructList)
      fail(override, "unknown key '" + override.key + "': '" + join_path(override.path, i) +
                         "' is a list; override the whole list");
    const SchemaNode* child = node->child(override.path[i]);
    if (!child)
      fail(override,
           "unknown key '" + override.key + "'" + suggest(schema, *node, override.path, i));
    node = child;
  }
}

// A key of the tree: its value and, for messages, the key node itself.
struct Found {
  bool found = false;
  YAML::Node parent;
  YAML::Node key;
  YAML::Node value;
};

Found lookup(const YAML::Node& root, const std::vector<std::string>& path) {
  Found result;
  YAML::Node current;
  current.reset(root);  // reset() rebinds the handle; `=` would overwrite the node it points to
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (!current.IsMap()) return Found();
    bool found = false;
    for (auto it = current.begin(); it != current.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() != path[i]) continue;
      result.parent.reset(current);
      result.key.reset(it->first);
      current.reset(it->second);
      found = true;
      break;
    }
    if (!found) return Found();
  }
  result.found = true;
  result.value.reset(current);
  return result;
}

bool values_match(const YAML::Node& a, const YAML::Node& b) {
  if (a.IsNull() || b.IsNull()) return a.IsNull() && b.IsNull();
  if (a.IsScalar() && b.IsScalar()) {
    if (a.Scalar() == b.Scalar()) return true;
    const auto x = parse_number(a.Scalar()), y = parse_number(b.Scalar());
    return x && y && *x == *y;  // 1e-3 matches 0.001
  }
  if (a.IsSequence() && b.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!values_match(a[i], b[i])) return false;
    return true;
  }
  if (a.IsMap() && b.IsMap()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      const Found other = lookup(b, {it->first.Scalar()});
      if (!other.found || !values_match(it->second, other.value)) return false;
    }
    return true;
  }
  return false;
}

// Where an existing value was set: "exp.yaml:5:3" or "command line override '...'".
std::string origin(const Found& found, const std::string& key, const Source& source) {
  if (const std::string* text = source.override_for(key))
    return "by command line override '" + *text + "'";
  std::string where = source.where(key, found.key.Mark());
  return "at " + where.substr(0, where.size() - 2);  // drop the trailing ": "
}

void set_value(YAML::Node& root, const Override& override, const Source& source) {
  YAML::Node current;
  current.reset(root);
  for (std::size_t i = 0; i + 1 < override.path.size(); ++i) {
    // The schema says this is a map; an empty value (`data:`) becomes one.
    const Found here = lookup(
        root, std::vector<std::string>(override.path.begin(), override.path.begin() + i + 1));
    if (here.found && !here.value.IsMap() && !here.value.IsNull()) {
      const YAML::Mark mark = here.value.Mark();
      throw_type_error(here.value, "a map of keys",
                       ReadContext{source, join_path(override.path, i + 1), mark});
    }
    YAML::Node next = current[override.path[i]];
    current.reset(next);
  }
  current[override.path.back()] = override.value;
}

}  // namespace

Override parse_override(const std::string& text) {
  Override override;
  override.text = text;
  std::string rest = text;
  if (rest.rfind("++", 0) == 0) {
    override.op = Override::Op::kAddOrSet;
    rest = rest.substr(2);
  } else if (rest.rfind('+', 0) == 0) {
    override.op = Override::Op::kAdd;
    rest = rest.substr(1);
  } else if (rest.rfind('~', 0) == 0) {
    override.op = Override::Op::kRemove;
    rest = rest.substr(1);
  }
  const std::size_t equals = rest.find('=');
  override.has_value = equals != std::string::npos;
  if (!override.has_value && override.op != Override::Op::kRemove)
    fail(override, "expected key=value, +key=value, ++key=value, ~key or ~key=value");
  override.key = rest.substr(0, equals);
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = override.key.find('.', start);
    override.path.push_back(override.key.substr(start, dot - start));
    if (!is_key_segment(override.path.back()))
      fail(override, "invalid key '" + override.key +
                         "' (expected dot-separated names of letters, digits, '_' or '-')");
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (override.has_value) {
    const std::string value = rest.substr(equals + 1);
    if (value.empty()) {
      override.value = YAML::Node(std::string());  // `key=` is the empty string, as in Hydra
    } else {
      try {
        override.value = YAML::Load(value);
      } catch (const YAML::Exception& error) {
        fail(override, "cannot parse the value '" + value + "' as YAML: " + error.msg);
      }
    }
  }
  return override;
}

void apply_override(YAML::Node& root, const Override& override, const SchemaNode& schema,
                    Source& source) {
  check_schema(override, schema);
  if (root.IsNull()) root.reset(YAML::Node(YAML::NodeType::Map));
  if (!root.IsMap()) return;  // the reader reports the file's top level
  const Found existing = lookup(root, override.path);
  switch (override.op) {
    case Override::Op::kAdd:
      if (existing.found)
        fail(override, "key '" + override.key + "' is already set " +
                           origin(existing, override.key, source) + "; use '" +
                           override.text.substr(1) + "' or '+" + override.text +
                           "' to override it");
      [[fallthrough]];
    case Override::Op::kSet:
    case Override::Op::kAddOrSet:
      set_value(root, override, source);
      source.record_override(override.key, override.text);
      break;
    case Override::Op::kRemove:
      if (!existing.found)
        fail(override, "key '" + override.key + "' is not set in " + source.file() +
                           ", so there is nothing to remove");
      if (override.has_value && !values_match(existing.value, override.value))
        fail(override, "key '" + override.key + "' is " + flow_text(existing.value) + " " +
                           origin(existing, override.key, source) + ", not " +
                           flow_text(override.value) + "; nothing removed");
      {
        YAML::Node parent;
        parent.reset(existing.parent);
        parent.remove(override.path.back());
        break;
      }
  }
}

void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     const SchemaNode& schema, Source& source) {
  for (const auto& text : overrides) apply_override(root, parse_override(text), schema, source);
}

}  // namespace fct::config
