#include "framework/models/state_dict_file.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <variant>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/zip_integrity.h"

namespace fct::models {
namespace {

// Note [The pickle subset of a state dict]
// torch.save (protocol 2) writes: PROTO; GLOBAL collections.OrderedDict + EMPTY_TUPLE + REDUCE
// for the dict; per entry a BINUNICODE key and GLOBAL torch._utils._rebuild_tensor_v2 applied
// (REDUCE) to a tuple whose first item is a persistent id ('storage', torch.FloatStorage, key,
// location, numel) resolved from the archive's data/<key> record; SETITEMS; a BUILD that sets
// the dict's `_metadata` (ignored); STOP. Memo opcodes (BINPUT/BINGET) tie repeated objects
// together. Values are kept as a small variant; a global that is not one of these is refused.

struct Global {
  std::string module, name;
};
struct Storage {
  torch::Tensor flat;  // the storage's elements, one dimension
};
struct Mark {};
struct Value;
using ValueList = std::vector<Value>;
struct Dict;
struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, Global, Storage, torch::Tensor,
               std::shared_ptr<ValueList>, std::shared_ptr<Dict>, Mark>
      v;
  bool is_tuple = false;  // a ValueList from TUPLE*, not a list
};

struct Dict {  // insertion-ordered, as the file lists it
  std::vector<std::pair<Value, Value>> items;
};

c10::ScalarType storage_type(const std::string& name, const std::string& path) {
  static const std::map<std::string, c10::ScalarType> types = {
      {"FloatStorage", torch::kFloat32}, {"DoubleStorage", torch::kFloat64},
      {"HalfStorage", torch::kFloat16},  {"BFloat16Storage", torch::kBFloat16},
      {"LongStorage", torch::kInt64},    {"IntStorage", torch::kInt32},
      {"ShortStorage", torch::kInt16},   {"CharStorage", torch::kInt8},
      {"ByteStorage", torch::kUInt8},    {"BoolStorage", torch::kBool}};
  const auto it = types.find(name);
  if (it == types.end()) throw Error(path + ": unsupported tensor storage torch." + name);
  return it->second;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(const std::string& path, caffe2::serialize::PyTorchStreamReader& archive,
                     const char* data, std::size_t size)
      : path_(path), archive_(archive), data_(data), size_(size) {}

  Value run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80:
          byte();
          break;   // PROTO n
        case '.':  // STOP
          if (stack_.size() != 1)
            fail("the pickle ends with " + std::to_string(stack_.size()) + " values");
          return stack_.back();
        case 'c': {  // GLOBAL module\nname\n
          Global global{line(), line()};
          stack_.push_back(Value{global});
          break;
        }
        case 'q':
          memo(byte());
          break;  // BINPUT
        case 'r':
          memo(unsigned_le(4));
          break;  // LONG_BINPUT
        case 'h':
          push(recall(byte()));
          break;  // BINGET
        case 'j':
          push(recall(unsigned_le(4)));
          break;  // LONG_BINGET
        case '}':
          push(Value{std::make_shared<Dict>()});
          break;
        case ']':
          push(Value{std::make_shared<ValueList>()});
          break;
        case ')':
          push(tuple({}));
          break;
        case '(':
          push(Value{Mark{}});
          break;
        case 'N':
          push(Value{});
          break;
        case 0x88:
          push(Value{true});
          break;
        case 0x89:
          push(Value{false});
          break;
        case 'K':
          push(Value{static_cast<int64_t>(byte())});
          break;  // BININT1
        case 'M':
          push(Value{static_cast<int64_t>(unsigned_le(2))});
          break;  // BININT2
        case 'J':
          push(Value{static_cast<int64_t>(static_cast<int32_t>(unsigned_le(4)))});
          break;
        case 0x8a:
          push(Value{long1(byte())});
          break;  // LONG1
        case 'G':
          push(Value{binfloat()});
          break;  // BINFLOAT, big-endian double
        case 'X':
          push(Value{text(unsigned_le(4))});
          break;  // BINUNICODE
        case 0x8c:
          push(Value{text(byte())});
          break;  // SHORT_BINUNICODE (protocol 4)
        case 'U':
          push(Value{text(byte())});
          break;  // SHORT_BINSTRING
        case 0x85:
          push(tuple(take(1)));
          break;  // TUPLE1
        case 0x86:
          push(tuple(take(2)));
          break;
        case 0x87:
          push(tuple(take(3)));
          break;
        case 't':
          push(tuple(take_to_mark()));
          break;  // TUPLE
        case 'Q':
          push(persistent_load(pop()));
          break;     // BINPERSID
        case 'R': {  // REDUCE
          Value args = pop();
          Value callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 's': {  // SETITEM
          Value value = pop();
          Value key = pop();
          dict_at_top().items.emplace_back(std::move(key), std::move(value));
          break;
        }
        case 'u': {  // SETITEMS
          ValueList items = take_to_mark();
          if (items.size() % 2) fail("SETITEMS with an odd number of values");
          Dict& dict = dict_at_top();
          for (std::size_t i = 0; i < items.size(); i += 2)
            dict.items.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'a': {  // APPEND
          Value value = pop();
          list_at_top().push_back(std::move(value));
          break;
        }
        case 'e': {  // APPENDS
          ValueList values = take_to_mark();
          auto& list = list_at_top();
          list.insert(list.end(), values.begin(), values.end());
          break;
        }
        case 'b':  // BUILD: an OrderedDict's state (its _metadata), which weights do not need
          pop();
          if (stack_.empty()) fail("BUILD with nothing to build");
          break;
        default: {
          std::ostringstream message;
          message << "unsupported pickle opcode 0x" << std::hex << static_cast<int>(op)
                  << " at byte " << std::dec << (position_ - 1)
                  << " (fct reads state dicts: a dict of names to tensors)";
          fail(message.str());
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ": not a state dict fct can read: " + what);
  }
  uint8_t byte() {
    if (position_ >= size_) fail("the pickle is cut short");
    return static_cast<uint8_t>(data_[position_++]);
  }
  uint64_t unsigned_le(int bytes) {
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(byte()) << (8 * i);
    return value;
  }
  int64_t long1(uint8_t bytes) {
    if (bytes > 8) fail("an integer of " + std::to_string(bytes) + " bytes");
    uint64_t value = unsigned_le(bytes);
    if (bytes > 0 && bytes < 8 && (value >> (8 * bytes - 1)) & 1u) value |= ~0ull << (8 * bytes);
    return static_cast<int64_t>(value);
  }
  double binfloat() {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
  }
  std::string text(uint64_t length) {
    if (length > size_ - position_) fail("a string runs past the end");
    std::string s(data_ + position_, length);
    position_ += length;
    return s;
  }
  std::string line() {
    std::string s;
    for (char c = static_cast<char>(byte()); c != '\n'; c = static_cast<char>(byte())) s += c;
    return s;
  }
  void push(Value value) { stack_.push_back(std::move(value)); }
  Value pop() {
    if (stack_.empty()) fail("the pickle's stack is empty at byte " + std::to_string(position_));
    Value value = std::move(stack_.back());
    stack_.pop_back();
    return value;
  }
  void memo(uint64_t index) {
    if (stack_.empty()) fail("memo of nothing");
    memo_[index] = stack_.back();
  }
  Value recall(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) fail("unknown memo " + std::to_string(index));
    return it->second;
  }
  static Value tuple(ValueList items) {
    Value value{std::make_shared<ValueList>(std::move(items))};
    value.is_tuple = true;
    return value;
  }
  ValueList take(std::size_t n) {
    if (stack_.size() < n) fail("a tuple of more values than the stack holds");
    ValueList items(std::make_move_iterator(stack_.end() - static_cast<std::ptrdiff_t>(n)),
                    std::make_move_iterator(stack_.end()));
    stack_.resize(stack_.size() - n);
    return items;
  }
  ValueList take_to_mark() {
    for (std::size_t i = stack_.size(); i-- > 0;) {
      if (std::holds_alternative<Mark>(stack_[i].v)) {
        ValueList items(
            std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(i) + 1),
            std::make_move_iterator(stack_.end()));
        stack_.resize(i);
        return items;
      }
    }
    fail("no MARK before a collection");
  }
  Dict& dict_at_top() {
    if (stack_.empty() || !std::holds_alternative<std::shared_ptr<Dict>>(stack_.back().v))
      fail("items set on something that is not a dict");
    return *std::get<std::shared_ptr<Dict>>(stack_.back().v);
  }
  ValueList& list_at_top() {
    if (stack_.empty() || !std::holds_alternative<std::shared_ptr<ValueList>>(stack_.back().v) ||
        stack_.back().is_tuple)
      fail("items appended to something that is not a list");
    return *std::get<std::shared_ptr<ValueList>>(stack_.back().v);
  }
  const ValueList& tuple_items(const Value& value, const std::string& what) const {
    if (!std::holds_alternative<std::shared_ptr<ValueList>>(value.v))
      fail(what + " is not a tuple");
    return *std::get<std::shared_ptr<ValueList>>(value.v);
  }
  int64_t integer(const Value& value, const std::string& what) const {
    if (!std::holds_alternative<int64_t>(value.v)) fail(what + " is not an integer");
    return std::get<int64_t>(value.v);
  }
  std::vector<int64_t> integers(const Value& value, const std::string& what) const {
    std::vector<int64_t> out;
    for (const auto& item : tuple_items(value, what)) out.push_back(integer(item, what));
    return out;
  }

  // ('storage', torch.<Type>Storage, key, location, numel) -> the record data/<key>.
  Value persistent_load(const Value& id) {
    const auto& items = tuple_items(id, "a persistent id");
    if (items.size() != 5 || !std::holds_alternative<std::string>(items[0].v) ||
        std::get<std::string>(items[0].v) != "storage" ||
        !std::holds_alternative<Global>(items[1].v) ||
        !std::holds_alternative<std::string>(items[2].v))
      fail("a persistent id that is not a tensor storage");
    const auto& type = std::get<Global>(items[1].v);
    const auto dtype = storage_type(type.name, path_);
    const std::string key = std::get<std::string>(items[2].v);
    const int64_t numel = integer(items[4], "a storage's size");
    const std::string record = "data/" + key;
    if (!archive_.hasRecord(record)) fail("the archive has no " + record);
    auto [bytes, size] = archive_.getRecord(record);
    const auto element = static_cast<int64_t>(c10::elementSize(dtype));
    if (numel < 0 || static_cast<uint64_t>(numel) * element != size)
      fail(record + " holds " + std::to_string(size) + " bytes, not " + std::to_string(numel) +
           " elements of " + type.name);
    torch::Tensor flat = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (size > 0) std::memcpy(flat.data_ptr(), bytes.get(), size);
    return Value{Storage{flat}};
  }

  Value reduce(const Value& callable, const Value& args) {
    if (!std::holds_alternative<Global>(callable.v))
      fail("a call of something that is not a global");
    const auto& global = std::get<Global>(callable.v);
    const std::string name = global.module + "." + global.name;
    const auto& items = tuple_items(args, "the arguments of " + name);
    if (name == "collections.OrderedDict") return Value{std::make_shared<Dict>()};
    if (name == "torch._utils._rebuild_tensor_v2") {
      // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (items.size() < 4 || !std::holds_alternative<Storage>(items[0].v))
        fail(name + " without a storage");
      const auto& flat = std::get<Storage>(items[0].v).flat;
      const int64_t offset = integer(items[1], "a tensor's offset");
      const auto sizes = integers(items[2], "a tensor's size");
      const auto strides = integers(items[3], "a tensor's stride");
      if (sizes.size() != strides.size()) fail("a tensor whose size and stride differ in length");
      int64_t last = offset;  // the furthest element the view reaches must be in the storage
      for (std::size_t d = 0; d < sizes.size(); ++d) {
        if (sizes[d] < 0 || strides[d] < 0) fail("a tensor with a negative size or stride");
        if (sizes[d] == 0) last = -1;
        if (last >= 0) last += (sizes[d] - 1) * strides[d];
      }
      if (offset < 0 || last >= flat.numel()) fail("a tensor that reaches past its storage");
      return Value{flat.as_strided(sizes, strides, offset).clone()};
    }
    if (name == "torch.jit._pickle.restore_type_tag") {
      // (value, "Dict[str, Tensor]"): LibTorch's pickler (torch::pickle_save, which
      // `fct export --state-dict` uses) tags typed containers; the value is the dict itself.
      if (items.empty()) fail(name + " without a value");
      return items[0];
    }
    if (name == "torch._utils._rebuild_parameter") {  // (tensor, requires_grad, hooks)
      if (items.empty() || !std::holds_alternative<torch::Tensor>(items[0].v))
        fail(name + " without a tensor");
      return items[0];
    }
    fail("it calls " + name + ", which fct does not run (only dicts of tensors are read)");
  }

  std::string path_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  const char* data_;
  std::size_t size_;
  std::size_t position_ = 0;
  std::vector<Value> stack_;
  std::map<uint64_t, Value> memo_;
};

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> read_state_dict_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw Error(path + ": no such file");
  const auto not_an_archive = [&] {
    return Error(path +
                 ": not a PyTorch zip archive (write it with torch.save(model.state_dict(), path), "
                 "PyTorch 1.6 or later)");
  };
  char magic[4] = {};
  std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
  if (std::string(magic, sizeof magic) != std::string("PK\x03\x04", 4)) throw not_an_archive();
  verify_zip_file(path, "state dict");  // Note [Damaged archives]
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> archive;
  try {
    archive = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const c10::Error&) {
    throw not_an_archive();
  }
  if (!archive->hasRecord("data.pkl")) throw Error(path + ": a zip archive without data.pkl");
  Value root;
  try {
    auto [pickle, size] = archive->getRecord("data.pkl");
    StateDictUnpickler unpickler(path, *archive, static_cast<const char*>(pickle.get()), size);
    root = unpickler.run();
  } catch (const c10::Error& e) {  // the archive's own checks: a cut or corrupt record
    const std::string what = e.what_without_backtrace();
    throw Error(path + ": a damaged PyTorch archive (" + what.substr(0, what.find('\n')) + ")");
  }
  if (!std::holds_alternative<std::shared_ptr<Dict>>(root.v))
    throw Error(path + ": holds no dict (torch.save(model.state_dict(), path) writes one)");
  std::vector<std::pair<std::string, torch::Tensor>> entries;
  for (const auto& [key, value] : std::get<std::shared_ptr<Dict>>(root.v)->items) {
    if (!std::holds_alternative<std::string>(key.v))
      throw Error(path + ": a key of the dict is not a name");
    if (!std::holds_alternative<torch::Tensor>(value.v))
      throw Error(path + ": entry " + std::get<std::string>(key.v) + " is not a tensor");
    entries.emplace_back(std::get<std::string>(key.v), std::get<torch::Tensor>(value.v));
  }
  return entries;
}

void write_state_dict_file(const std::string& path, const torch::nn::Module& module) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& item : module.named_parameters(true))
    dict.insert(item.key(), item.value().detach().cpu());
  for (const auto& item : module.named_buffers(true))
    dict.insert(item.key(), item.value().detach().cpu());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  stream_atomically(path, [&](const ByteSink& put) { put(bytes.data(), bytes.size()); });
}

std::vector<std::string> load_state_dict_file(const std::string& path, torch::nn::Module& module) {
  return load_state_dict(read_state_dict_file(path), path, module);
}

std::vector<std::string> load_state_dict(
    const std::vector<std::pair<std::string, torch::Tensor>>& entries, const std::string& path,
    torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> file;
  for (const auto& [key, tensor] : entries) file[key] = tensor;
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  const auto assign = [&](const std::string& key, torch::Tensor& target) {
    const auto it = file.find(key);
    if (it == file.end()) throw Error(path + ": has no " + key + " (the model needs it)");
    if (it->second.sizes() != target.sizes()) {
      std::ostringstream message;
      message << path << ": " << key << " has shape " << it->second.sizes() << ", the model's is "
              << target.sizes();
      throw Error(message.str());
    }
    target.copy_(it->second.to(target.dtype()));
    used.insert(key);
  };
  for (auto& item : module.named_parameters(true)) assign(item.key(), item.value());
  for (auto& item : module.named_buffers(true)) assign(item.key(), item.value());
  std::vector<std::string> unused;
  for (const auto& [key, tensor] : file)
    if (!used.count(key)) unused.push_back(key);
  return unused;
}

}  // namespace fct::models
