// Whole-model cross-check against PyTorch: train a few steps (so weights are not at their init),
// write a checkpoint and one batch with hermes' loss and gradients, and let
// tests/reference/torch_reference.py recompute them in float64. Reported as skipped (ctest) when
// /usr/bin/python3 lacks torch or h5py.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdlib>
#include <fstream>

#include "../unit/train_fixture.hpp"
#include "hermes/model/transformer.hpp"

using namespace hermes;

namespace {
void write(hid_t loc, const char* name, hid_t mem, hid_t file_type, const std::vector<hsize_t>& dims,
           const void* data) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t ds = H5Dcreate2(loc, name, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(ds);
  H5Pclose(lcpl);
  H5Sclose(space);
}
void attr(hid_t loc, const char* name, double v) {
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t a = H5Acreate2(loc, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  H5Sclose(space);
}
}  // namespace

class TorchReference : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchReference, LossAndGradientsAgree) {
  if (std::system("/usr/bin/python3 -c 'import torch, h5py' >/dev/null 2>&1") != 0) {
    std::printf("SKIPPED: /usr/bin/python3 lacks torch or h5py (apt-get install python3-torch python3-h5py)\n");
    GTEST_SKIP() << "SKIPPED: /usr/bin/python3 lacks torch or h5py";
  }
  const std::string kind = GetParam();
  const auto dir = hermes::testing::scratch_dir("torch_" + kind);
  std::vector<std::string> o = {"train.max_steps=3", "checkpoint.save_final=true", "train.batch_size=3"};
  if (kind == "gelu")
    o.insert(o.end(), {"model.ffn=\"gelu\"", "model.bias=true", "model.n_kv_head=4"});
  else
    o.insert(o.end(), {"model.ffn=\"swiglu\"", "model.bias=false", "model.n_kv_head=2"});
  const auto d = hermes::testing::train_deck(dir.string(), o);
  const auto comm = dist::Communicator::self();
  auto t = hermes::testing::make_trainer(d, comm, dir);
  const auto sum = t->run();

  // One fresh batch with a partial mask; hermes' loss and normalised gradients for it.
  train::SyntheticSource src(256, 3, 16, 0, 1, 4242);
  data::Batch b;
  src.next(b);
  for (std::size_t i = 0; i < b.mask.size(); i += 5) b.mask[i] = 0;
  // A host model of the batch's shape holding the trained weights.
  model::Transformer<float> m(t->config(), 3, 16);
  {
    const auto trained = hermes::testing::flat_parameters(*t);
    ASSERT_EQ(static_cast<std::int64_t>(trained.size()), m.num_params());
    std::copy(trained.begin(), trained.end(), m.params());
  }
  m.zero_grads();
  const auto st = m.forward(b.inputs.data(), b.targets.data(), b.mask.data(), true);
  m.backward();
  const auto path = dir / "batch.h5";
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const std::vector<hsize_t> bt = {3, 16};
  write(f, "inputs", H5T_NATIVE_INT32, H5T_STD_I32LE, bt, b.inputs.data());
  write(f, "targets", H5T_NATIVE_INT32, H5T_STD_I32LE, bt, b.targets.data());
  write(f, "mask", H5T_NATIVE_UINT8, H5T_STD_U8LE, bt, b.mask.data());
  const hid_t g = H5Gcreate2(f, "hermes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  attr(g, "loss", st.loss_sum / static_cast<double>(st.count));
  attr(g, "accuracy", static_cast<double>(st.correct) / static_cast<double>(st.count));
  H5Gclose(g);
  std::vector<float> grad(m.grads(), m.grads() + m.num_params());
  for (auto& x : grad) x /= static_cast<float>(st.count);
  for (const auto& s : m.slots()) {
    std::vector<hsize_t> dims(s.spec.shape.begin(), s.spec.shape.end());
    write(f, ("hermes/grads/" + s.spec.name).c_str(), H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, dims, grad.data() + s.offset);
  }
  H5Fclose(f);

  const std::string cmd = "/usr/bin/python3 " HERMES_SOURCE_DIR "/tests/reference/torch_reference.py " +
                          sum.final_checkpoint.string() + " " + path.string() + " > " + (dir / "out.txt").string() +
                          " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(dir / "out.txt");
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::printf("%s", out.c_str());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("AGREE"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Ffn, TorchReference, ::testing::Values("gelu", "swiglu"));
