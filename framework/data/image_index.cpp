#include "framework/data/image_index.h"

#include <cstring>

#include "framework/core/error.h"

namespace fct::data {
namespace {

// Bump when the layout of the blob changes: an old cache is then rebuilt, never misread.
constexpr char kMagic[8] = {'F', 'C', 'T', 'I', 'D', 'X', '0', '1'};

class BlobWriter {
 public:
  void raw(const void* data, std::size_t size) {
    out_.append(static_cast<const char*>(data), size);
  }
  void i64(int64_t value) { raw(&value, sizeof value); }
  void f32(float value) { raw(&value, sizeof value); }
  void str(const std::string& text) {
    i64(static_cast<int64_t>(text.size()));
    raw(text.data(), text.size());
  }
  void strings(const std::vector<std::string>& list) {
    i64(static_cast<int64_t>(list.size()));
    for (const auto& s : list) str(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class BlobReader {
 public:
  BlobReader(const std::string& blob, const std::string& origin) : blob_(blob), origin_(origin) {}

  void raw(void* data, std::size_t size) {
    if (size > blob_.size() - pos_)
      throw DataError(origin_ + ": dataset index cut short at byte " + std::to_string(pos_));
    std::memcpy(data, blob_.data() + pos_, size);
    pos_ += size;
  }
  int64_t i64() {
    int64_t value = 0;
    raw(&value, sizeof value);
    return value;
  }
  float f32() {
    float value = 0;
    raw(&value, sizeof value);
    return value;
  }
  // A count of elements that take at least `element_bytes` each: more than the bytes left can
  // hold is corruption, not a huge index (and must not become a huge allocation).
  int64_t count(std::size_t element_bytes) {
    const int64_t n = i64();
    if (n < 0 || static_cast<uint64_t>(n) > (blob_.size() - pos_) / element_bytes)
      throw DataError(origin_ + ": dataset index is corrupt (count " + std::to_string(n) +
                      " at byte " + std::to_string(pos_) + ")");
    return n;
  }
  std::string str() {
    const int64_t n = count(1);
    std::string text(static_cast<std::size_t>(n), '\0');
    raw(text.data(), text.size());
    return text;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> list(static_cast<std::size_t>(count(8)));
    for (auto& s : list) s = str();
    return list;
  }
  bool done() const { return pos_ == blob_.size(); }

 private:
  const std::string& blob_;
  const std::string& origin_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string serialize_index(const ImageIndex& index) {
  BlobWriter w;
  w.raw(kMagic, sizeof kMagic);
  w.str(index.layout);
  w.str(index.split);
  w.str(index.root);
  w.strings(index.classes);
  w.strings(index.problems);
  w.i64(index.size());
  for (const auto& e : index.entries) {
    w.str(e.path);
    w.i64(e.label);
    w.i64(e.bytes);
    w.f32(e.box.x);
    w.f32(e.box.y);
    w.f32(e.box.width);
    w.f32(e.box.height);
  }
  return w.take();
}

ImageIndex deserialize_index(const std::string& blob, const std::string& origin) {
  BlobReader r(blob, origin);
  char magic[sizeof kMagic];
  r.raw(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw DataError(origin + ": not a dataset index of this fct version");
  ImageIndex index;
  index.layout = r.str();
  index.split = r.str();
  index.root = r.str();
  index.classes = r.strings();
  index.problems = r.strings();
  index.entries.resize(static_cast<std::size_t>(r.count(8)));
  const auto num_classes = static_cast<int64_t>(index.classes.size());
  for (auto& e : index.entries) {
    e.path = r.str();
    e.label = r.i64();
    e.bytes = r.i64();
    e.box.x = r.f32();
    e.box.y = r.f32();
    e.box.width = r.f32();
    e.box.height = r.f32();
    if (e.label < 0 || e.label >= num_classes)
      throw DataError(origin + ": dataset index entry " + e.path + " has label " +
                      std::to_string(e.label) + " outside [0, " + std::to_string(num_classes) +
                      ")");
  }
  if (!r.done()) throw DataError(origin + ": dataset index has trailing bytes");
  return index;
}

}  // namespace fct::data
