#include "framework/core/zip_integrity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "framework/core/error.h"

namespace fct {
namespace {

constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr uint64_t kEndBytes = 22, kZip64LocatorBytes = 20, kZip64EndBytes = 56;
constexpr uint64_t kCentralBytes = 46, kLocalBytes = 30;
constexpr std::size_t kChunk = std::size_t{1} << 20;

// Reads `size` bytes at `offset` of the archive into `out` (the caller checked the range).
using ReadAt = std::function<void(uint64_t offset, std::size_t size, unsigned char* out)>;

uint64_t little(const unsigned char* p, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

std::string hex32(uint64_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "%08llx", static_cast<unsigned long long>(value));
  return text;
}

class ArchiveCheck {
 public:
  ArchiveCheck(uint64_t size, ReadAt read_at, std::string origin)
      : size_(size), read_at_(std::move(read_at)), origin_(std::move(origin)) {}

  void run() {
    if (size_ < kEndBytes)
      throw DataError(origin_ + ": not a zip archive (" + std::to_string(size_) + " bytes)");
    const uint64_t end = find_end_record();
    auto record = read(end, kEndBytes);
    uint64_t entries = little(&record[10], 2);
    uint64_t directory_size = little(&record[12], 4);
    uint64_t directory_offset = little(&record[16], 4);
    uint64_t directory_limit = end;  // the central directory ends before the end records
    if (entries == 0xffff || directory_size == 0xffffffff || directory_offset == 0xffffffff) {
      if (end < kZip64LocatorBytes) damaged("zip64 end record locator missing");
      const auto locator = read(end - kZip64LocatorBytes, kZip64LocatorBytes);
      if (little(&locator[0], 4) != kZip64LocatorSignature)
        damaged("zip64 end record locator missing");
      const uint64_t zip64_end = little(&locator[8], 8);
      if (zip64_end > end - kZip64LocatorBytes ||
          end - kZip64LocatorBytes - zip64_end < kZip64EndBytes)
        damaged("zip64 end record out of place");
      const auto zip64 = read(zip64_end, kZip64EndBytes);
      if (little(&zip64[0], 4) != kZip64EndSignature) damaged("zip64 end record missing");
      entries = little(&zip64[32], 8);
      directory_size = little(&zip64[40], 8);
      directory_offset = little(&zip64[48], 8);
      directory_limit = zip64_end;
    }
    if (directory_offset > directory_limit || directory_size > directory_limit - directory_offset)
      damaged("the central directory lies outside the file (offset " +
              std::to_string(directory_offset) + ", " + std::to_string(directory_size) + " bytes)");
    if (entries == 0) damaged("no records");
    if (entries > directory_size / kCentralBytes)
      damaged(std::to_string(entries) + " records cannot fit a central directory of " +
              std::to_string(directory_size) + " bytes");
    const auto directory = read(directory_offset, directory_size);
    uint64_t at = 0;
    for (uint64_t i = 0; i < entries; ++i) at = check_entry(directory, at, directory_offset);
  }

 private:
  [[noreturn]] void damaged(const std::string& what) const {
    throw DataError(origin_ + ": a damaged zip archive (" + what + ")");
  }

  std::vector<unsigned char> read(uint64_t offset, uint64_t size) const {
    if (offset > size_ || size > size_ - offset)
      damaged("a structure at byte " + std::to_string(offset) + " runs past the end of the file");
    std::vector<unsigned char> bytes(size);
    if (size > 0) read_at_(offset, size, bytes.data());
    return bytes;
  }

  // The end-of-central-directory record: the last 22 bytes, or earlier when a comment follows.
  uint64_t find_end_record() const {
    const uint64_t window = std::min<uint64_t>(size_, kEndBytes + 0xffff);
    const auto tail = read(size_ - window, window);
    for (uint64_t i = window - kEndBytes + 1; i-- > 0;) {
      if (little(&tail[i], 4) != kEndSignature) continue;
      const uint64_t comment = little(&tail[i + 20], 2);
      if (i + kEndBytes + comment == window) return size_ - window + i;
    }
    throw DataError(origin_ + ": not a zip archive, or one cut short (no end record; " +
                    std::to_string(size_) + " bytes)");
  }

  // Checks the central-directory entry at `at` and its record; returns where the next entry is.
  uint64_t check_entry(const std::vector<unsigned char>& directory, uint64_t at,
                       uint64_t directory_offset) const {
    if (directory.size() - at < kCentralBytes || little(&directory[at], 4) != kCentralSignature)
      damaged("central directory entry at byte " + std::to_string(directory_offset + at));
    const unsigned char* entry = &directory[at];
    const uint64_t method = little(entry + 10, 2);
    const uint64_t crc = little(entry + 16, 4);
    uint64_t packed = little(entry + 20, 4);
    uint64_t unpacked = little(entry + 24, 4);
    const uint64_t name_length = little(entry + 28, 2);
    const uint64_t extra_length = little(entry + 30, 2);
    const uint64_t comment_length = little(entry + 32, 2);
    uint64_t local = little(entry + 42, 4);
    const uint64_t next = at + kCentralBytes + name_length + extra_length + comment_length;
    if (next > directory.size())
      damaged("central directory entry at byte " + std::to_string(directory_offset + at) +
              " runs past the directory");
    const std::string name(reinterpret_cast<const char*>(entry + kCentralBytes), name_length);
    const std::string record = "record '" + name + "'";
    // Not covered by the CRC, but read: miniz extracts a record marked as a directory (the DOS
    // attribute bit, or a name ending in '/') as nothing, which LibTorch takes for zero weights.
    // Model archives hold no directories.
    if ((little(entry + 38, 4) & 0x10) != 0 || (!name.empty() && name.back() == '/'))
      damaged(record + " is marked as a directory");
    // zip64: the fields that overflowed are in the extra field 0x0001, in this order.
    const unsigned char* extra = entry + kCentralBytes + name_length;
    for (uint64_t e = 0; e + 4 <= extra_length;) {
      const uint64_t id = little(extra + e, 2), length = little(extra + e + 2, 2);
      if (e + 4 + length > extra_length) damaged(record + ": extra field runs past its entry");
      if (id == 0x0001) {
        uint64_t field = e + 4;
        for (uint64_t* value : {&unpacked, &packed, &local}) {
          if (*value != 0xffffffff) continue;
          if (field + 8 > e + 4 + length) damaged(record + ": zip64 extra field too short");
          *value = little(extra + field, 8);
          field += 8;
        }
      }
      e += 4 + length;
    }
    const auto header = read(local, kLocalBytes);
    if (little(&header[0], 4) != kLocalSignature)
      damaged(record + ": no local header at byte " + std::to_string(local));
    const uint64_t data = local + kLocalBytes + little(&header[26], 2) + little(&header[28], 2);
    if (data > directory_offset || packed > directory_offset - data)
      damaged(record + ": its " + std::to_string(packed) + " bytes at byte " +
              std::to_string(data) + " overlap the central directory");
    if (method != 0 && method != 8)
      damaged(record + ": compression method " + std::to_string(method) +
              " is not one zip readers use");
    const uint64_t computed = method == 0 ? stored_crc(data, packed, unpacked, record)
                                          : deflated_crc(data, packed, unpacked, record);
    if (computed != crc)
      damaged(record + " fails its CRC-32 check (stored " + hex32(crc) + ", computed " +
              hex32(computed) + "): its bytes changed after it was written");
    return next;
  }

  uint64_t stored_crc(uint64_t data, uint64_t packed, uint64_t unpacked,
                      const std::string& record) const {
    if (packed != unpacked)
      damaged(record + ": stored uncompressed, but its sizes differ (" + std::to_string(packed) +
              " and " + std::to_string(unpacked) + " bytes)");
    uLong crc = crc32(0L, Z_NULL, 0);
    std::vector<unsigned char> buffer(std::min<uint64_t>(packed, kChunk));
    for (uint64_t done = 0; done < packed;) {
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(packed - done, kChunk));
      read_at_(data + done, n, buffer.data());
      crc = crc32(crc, buffer.data(), static_cast<uInt>(n));
      done += n;
    }
    return crc;
  }

  uint64_t deflated_crc(uint64_t data, uint64_t packed, uint64_t unpacked,
                        const std::string& record) const {
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw Error(origin_ + ": zlib cannot start");
    struct End {
      z_stream* s;
      ~End() { inflateEnd(s); }
    } end{&stream};
    uLong crc = crc32(0L, Z_NULL, 0);
    uint64_t produced = 0, consumed = 0;
    std::vector<unsigned char> in(std::min<uint64_t>(std::max<uint64_t>(packed, 1), kChunk));
    std::vector<unsigned char> out(kChunk);
    int status = Z_OK;
    while (status != Z_STREAM_END) {
      if (stream.avail_in == 0) {
        if (consumed == packed) damaged(record + ": its compressed bytes end early");
        const std::size_t n =
            static_cast<std::size_t>(std::min<uint64_t>(packed - consumed, kChunk));
        read_at_(data + consumed, n, in.data());
        consumed += n;
        stream.next_in = in.data();
        stream.avail_in = static_cast<uInt>(n);
      }
      stream.next_out = out.data();
      stream.avail_out = static_cast<uInt>(out.size());
      status = inflate(&stream, Z_NO_FLUSH);
      if (status != Z_OK && status != Z_STREAM_END)
        damaged(record + ": its compressed bytes do not inflate (" +
                (stream.msg ? std::string(stream.msg) : "zlib error " + std::to_string(status)) +
                ")");
      const std::size_t n = out.size() - stream.avail_out;
      produced += n;
      if (produced > unpacked)
        damaged(record + ": inflates past its " + std::to_string(unpacked) + " bytes");
      crc = crc32(crc, out.data(), static_cast<uInt>(n));
    }
    if (produced != unpacked)
      damaged(record + ": inflates to " + std::to_string(produced) + " bytes, not " +
              std::to_string(unpacked));
    return crc;
  }

  uint64_t size_;
  ReadAt read_at_;
  std::string origin_;
};

}  // namespace

void verify_zip_file(const std::string& path, const std::string& what) {
  const std::string origin = what + " " + path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(origin + " cannot be opened: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw Error(origin + ": cannot stat: " + std::strerror(errno));
  const auto read_at = [&](uint64_t offset, std::size_t size, unsigned char* out) {
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(origin + ": read error: " + std::strerror(errno));
      if (n == 0) throw DataError(origin + ": changed size while being read");
      done += static_cast<std::size_t>(n);
    }
  };
  ArchiveCheck(static_cast<uint64_t>(info.st_size), read_at, origin).run();
}

void verify_zip_bytes(std::string_view bytes, const std::string& origin) {
  const auto read_at = [&](uint64_t offset, std::size_t size, unsigned char* out) {
    std::memcpy(out, bytes.data() + offset, size);
  };
  ArchiveCheck(bytes.size(), read_at, origin).run();
}

}  // namespace fct
