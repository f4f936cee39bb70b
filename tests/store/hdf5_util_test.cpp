// The HDF5 helpers of fct_store (framework/store/hdf5_util.h): Hid closes what it owns exactly once
// (moves transfer it, release forgets it, reset reports the close status), QuietHdf5 silences
// HDF5's error printing and restores the previous handler, HDF5's reasons come back as text and as
// fct::Error, datatypes are named, and dataset shapes are read. Serial HDF5, no MPI.
#include "framework/store/hdf5_util.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::store {
namespace {

using detail::Hid;
using detail::QuietHdf5;

// Whether `id` is still an open HDF5 identifier.
bool is_open(hid_t id) {
  QuietHdf5 quiet;
  const htri_t valid = H5Iis_valid(id);
  H5Eclear2(H5E_DEFAULT);
  return valid > 0;
}

hid_t new_dataspace() {
  const hid_t id = H5Screate(H5S_SCALAR);
  EXPECT_GE(id, 0);
  return id;
}

// An HDF5 call that fails with a known error stack: opening a text file as HDF5.
hid_t open_text_file(const fct::testing::ScratchDir& dir) {
  fct::testing::write_text_file(dir.file("not.h5"), "plain text, no HDF5 signature\n");
  return H5Fopen(dir.file("not.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an fct::Error";
  return "";
}

TEST(Hdf5Util, HidClosesItsIdentifierWhenDestroyed) {
  const hid_t space = new_dataspace();
  {
    const Hid owner(space, H5Sclose);
    EXPECT_TRUE(owner.valid());
    EXPECT_EQ(owner.get(), space);
    EXPECT_TRUE(is_open(space));
  }
  EXPECT_FALSE(is_open(space));
  const Hid nothing;
  EXPECT_FALSE(nothing.valid());
  EXPECT_EQ(nothing.get(), -1);
}

TEST(Hdf5Util, MovesTransferOwnershipAndAssignmentClosesTheOldIdentifier) {
  const hid_t first = new_dataspace(), second = new_dataspace();
  Hid a(first, H5Sclose);
  Hid b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(b.get(), first);
  Hid c(second, H5Sclose);
  c = std::move(b);
  EXPECT_FALSE(is_open(second));  // what c held is closed by the assignment
  EXPECT_TRUE(is_open(first));    // what it received is not
  EXPECT_EQ(c.get(), first);
  Hid& same = c;
  c = std::move(same);  // self-assignment keeps the identifier open
  EXPECT_TRUE(is_open(first));
  EXPECT_EQ(c.get(), first);
  c.reset();
  EXPECT_FALSE(is_open(first));
}

TEST(Hdf5Util, ReleaseForgetsWithoutClosing) {
  const hid_t space = new_dataspace();
  {
    Hid owner(space, H5Sclose);
    owner.release();
    EXPECT_FALSE(owner.valid());
  }
  EXPECT_TRUE(is_open(space));
  EXPECT_GE(H5Sclose(space), 0);
}

TEST(Hdf5Util, ResetReportsTheCloseStatusOnce) {
  const hid_t space = new_dataspace();
  Hid owner(space, H5Sclose);
  EXPECT_EQ(owner.reset(), 0);
  EXPECT_FALSE(owner.valid());
  EXPECT_FALSE(is_open(space));
  EXPECT_EQ(owner.reset(), 0);  // nothing open any more: nothing closed twice

  // A close function that fails (a dataspace closed as a dataset): the failure is returned.
  const hid_t other = new_dataspace();
  Hid wrong(other, H5Dclose);
  {
    QuietHdf5 quiet;
    EXPECT_LT(wrong.reset(), 0);
    H5Eclear2(H5E_DEFAULT);
  }
  EXPECT_FALSE(wrong.valid());
  EXPECT_TRUE(is_open(other));
  EXPECT_GE(H5Sclose(other), 0);
}

// An automatic error handler that counts its calls instead of printing.
herr_t count_calls(hid_t, void* data) {
  ++*static_cast<int*>(data);
  return 0;
}

TEST(Hdf5Util, QuietHdf5SilencesTheHandlerAndRestoresIt) {
  fct::testing::ScratchDir dir("fct-hdf5-util");
  H5E_auto2_t original = nullptr;
  void* original_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &original, &original_data);
  int calls = 0;
  H5Eset_auto2(H5E_DEFAULT, count_calls, &calls);
  {
    QuietHdf5 quiet;
    H5E_auto2_t inside = count_calls;
    void* inside_data = nullptr;
    H5Eget_auto2(H5E_DEFAULT, &inside, &inside_data);
    EXPECT_TRUE(inside == nullptr);
    { QuietHdf5 nested; }
    H5Eget_auto2(H5E_DEFAULT, &inside, &inside_data);
    EXPECT_TRUE(inside == nullptr) << "a nested QuietHdf5 restores the silence it found";
    EXPECT_LT(open_text_file(dir), 0);
    H5Eclear2(H5E_DEFAULT);
  }
  EXPECT_EQ(calls, 0) << "HDF5 reported a failure while quiet";
  H5E_auto2_t after = nullptr;
  void* after_data = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &after, &after_data);
  EXPECT_TRUE(after == &count_calls);
  EXPECT_EQ(after_data, static_cast<void*>(&calls));
  EXPECT_LT(open_text_file(dir), 0);
  EXPECT_EQ(calls, 1) << "the restored handler sees the next failure";
  H5Eclear2(H5E_DEFAULT);
  H5Eset_auto2(H5E_DEFAULT, original, original_data);
}

TEST(Hdf5Util, ReasonIsTheOutermostAndInnermostMessageThenTheStackIsCleared) {
  fct::testing::ScratchDir dir("fct-hdf5-util");
  QuietHdf5 quiet;
  H5Eclear2(H5E_DEFAULT);
  EXPECT_EQ(detail::hdf5_reason(), "");
  EXPECT_LT(open_text_file(dir), 0);
  EXPECT_EQ(detail::hdf5_reason(), "unable to open file (file signature not found)");
  EXPECT_EQ(detail::hdf5_reason(), "");  // the first call cleared it
}

TEST(Hdf5Util, CheckIdAndCheckStatusThrowWithHdf5sReason) {
  fct::testing::ScratchDir dir("fct-hdf5-util");
  QuietHdf5 quiet;
  EXPECT_EQ(detail::check_id(7, "unused"), 7);
  EXPECT_EQ(detail::check_id(0, "unused"), 0);
  EXPECT_NO_THROW(detail::check_status(0, "unused"));
  EXPECT_NO_THROW(detail::check_status(1, "unused"));

  EXPECT_EQ(error_of([&] { detail::check_id(open_text_file(dir), "store not.h5"); }),
            "store not.h5: unable to open file (file signature not found)");
  H5Eclear2(H5E_DEFAULT);
  // Without a reason on the stack the message still says what failed.
  EXPECT_EQ(error_of([] { detail::check_id(-1, "opening the dataset"); }),
            "opening the dataset failed");
  EXPECT_EQ(error_of([] { detail::check_status(-1, "closing the file"); }),
            "closing the file failed");
  const hid_t space = new_dataspace();
  EXPECT_EQ(error_of([&] {
              detail::check_status(H5Dclose(space), "closing a dataset");
            }).rfind("closing a dataset: ", 0),
            0u);
  EXPECT_EQ(detail::hdf5_reason(), "") << "check_status leaves the stack clear";
  H5Sclose(space);
}

TEST(Hdf5Util, TypeNamesForEveryClass) {
  EXPECT_EQ(detail::hdf5_type_name(H5T_NATIVE_FLOAT), "float32");
  EXPECT_EQ(detail::hdf5_type_name(H5T_IEEE_F64LE), "float64");
  EXPECT_EQ(detail::hdf5_type_name(H5T_IEEE_F32BE), "float32");
  EXPECT_EQ(detail::hdf5_type_name(H5T_STD_I64LE), "int64");
  EXPECT_EQ(detail::hdf5_type_name(H5T_STD_I32BE), "int32");
  EXPECT_EQ(detail::hdf5_type_name(H5T_STD_I8LE), "int8");
  EXPECT_EQ(detail::hdf5_type_name(H5T_STD_U8LE), "uint8");
  EXPECT_EQ(detail::hdf5_type_name(H5T_NATIVE_UINT16), "uint16");
  EXPECT_EQ(detail::hdf5_type_name(H5T_STD_U64BE), "uint64");
  EXPECT_EQ(detail::hdf5_type_name(H5T_STD_B8LE), "bitfield");
  EXPECT_EQ(detail::hdf5_type_name(H5T_STD_REF_OBJ), "reference");
  EXPECT_EQ(detail::hdf5_type_name(H5T_UNIX_D32LE), "time");

  const Hid text(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(text.get(), H5T_VARIABLE);
  EXPECT_EQ(detail::hdf5_type_name(text.get()), "string");
  EXPECT_EQ(detail::hdf5_type_name(H5T_C_S1), "string");  // fixed length

  const Hid compound(H5Tcreate(H5T_COMPOUND, 8), H5Tclose);
  H5Tinsert(compound.get(), "x", 0, H5T_NATIVE_DOUBLE);
  EXPECT_EQ(detail::hdf5_type_name(compound.get()), "compound");
  const Hid enumeration(H5Tenum_create(H5T_NATIVE_INT), H5Tclose);
  const int zero = 0;
  H5Tenum_insert(enumeration.get(), "zero", &zero);
  EXPECT_EQ(detail::hdf5_type_name(enumeration.get()), "enum");
  const Hid sequence(H5Tvlen_create(H5T_NATIVE_INT), H5Tclose);
  EXPECT_EQ(detail::hdf5_type_name(sequence.get()), "variable-length sequence");
  const hsize_t three[1] = {3};
  const Hid array(H5Tarray_create2(H5T_NATIVE_FLOAT, 1, three), H5Tclose);
  EXPECT_EQ(detail::hdf5_type_name(array.get()), "array");
  const Hid opaque(H5Tcreate(H5T_OPAQUE, 4), H5Tclose);
  EXPECT_EQ(detail::hdf5_type_name(opaque.get()), "opaque");
}

TEST(Hdf5Util, DatasetShapeIsTheDataspaceExtents) {
  fct::testing::ScratchDir dir("fct-hdf5-util");
  const Hid file(H5Fcreate(dir.file("shapes.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                 H5Fclose);
  ASSERT_TRUE(file.valid());
  const auto make = [&](const char* name, std::vector<hsize_t> dims) {
    const Hid space(dims.empty()
                        ? H5Screate(H5S_SCALAR)
                        : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                    H5Sclose);
    return Hid(H5Dcreate2(file.get(), name, H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT),
               H5Dclose);
  };
  const Hid matrix = make("matrix", {3, 4});
  const Hid vector = make("vector", {7});
  const Hid empty = make("empty", {0, 5});
  const Hid scalar = make("scalar", {});
  ASSERT_TRUE(matrix.valid() && vector.valid() && empty.valid() && scalar.valid());
  EXPECT_EQ(detail::dataset_shape(matrix.get(), "matrix"), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(detail::dataset_shape(vector.get(), "vector"), (std::vector<int64_t>{7}));
  EXPECT_EQ(detail::dataset_shape(empty.get(), "empty"), (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(detail::dataset_shape(scalar.get(), "scalar"), (std::vector<int64_t>{}));

  QuietHdf5 quiet;
  const std::string message = error_of([] { detail::dataset_shape(-1, "store x.h5: 'ids'"); });
  EXPECT_EQ(message.rfind("store x.h5: 'ids': cannot get the dataspace", 0), 0u) << message;
}

}  // namespace
}  // namespace fct::store
