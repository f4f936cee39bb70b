// Two hosts made of network namespaces (cluster/netns_cluster.sh, docs/netns-cluster.md): ranks on
// different hosts talk TCP across a bridge, never shared memory. Root only: elsewhere the script
// exits 77 and the tests skip with its reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "framework/models/model_file.h"
#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

const std::string kNetwork = "10.77.0.0/24";

std::string cluster_script() {
  return source_directory() + "/cluster/netns_cluster.sh";
}

// The cluster of `hosts` hosts for one test, taken down again whatever happens.
class Cluster {
 public:
  explicit Cluster(int hosts) {
    const auto up = run_command({cluster_script(), "up", std::to_string(hosts)}, 120);
    skipped_ = up.exit_code == 77;
    why_ = up.output;
    up_ = up.exit_code == 0;
  }
  ~Cluster() {
    if (up_) run_command({cluster_script(), "down"}, 120);
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  bool skipped() const { return skipped_; }
  bool up() const { return up_; }
  const std::string& why() const { return why_; }

 private:
  bool skipped_ = false, up_ = false;
  std::string why_;
};

// mpirun with one rank on each of the cluster's hosts, TCP only.
CommandResult run_fct_on_hosts(const std::string& hostfile, int ranks,
                               const std::vector<std::string>& args, double deadline_s) {
  std::vector<std::string> argv = {mpiexec(),
                                   "--hostfile",
                                   hostfile,
                                   "-np",
                                   std::to_string(ranks),
                                   "--map-by",
                                   "node",
                                   "--bind-to",
                                   "none",
                                   "--allow-run-as-root",
                                   "--mca",
                                   "plm_rsh_agent",
                                   source_directory() + "/cluster/netns_rsh",
                                   "--mca",
                                   "pml",
                                   "ob1",
                                   "--mca",
                                   "btl",
                                   "tcp,self",
                                   "--mca",
                                   "btl_tcp_if_include",
                                   kNetwork,
                                   "--mca",
                                   "oob_tcp_if_include",
                                   kNetwork,
                                   fct_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, deadline_s);
}

int64_t link_bytes(const std::string& link) {
  int64_t bytes = 0;
  std::ifstream("/sys/class/net/" + link + "/statistics/tx_bytes") >> bytes;
  return bytes;
}

// A 2-host x 1-rank training ends with exactly the weights of 2 ranks on one host: the data path
// (TCP between hosts, shared memory on one) changes nothing a rank computes.
TEST(NetnsCluster, TwoHostTrainingEqualsOneHost) {
  const Cluster cluster(2);
  if (cluster.skipped()) GTEST_SKIP() << cluster.why();
  ASSERT_TRUE(cluster.up()) << cluster.why();
  ScratchDir dir("fct-netns");
  const auto hosts = run_command({cluster_script(), "hostfile"}, 30);
  ASSERT_EQ(hosts.exit_code, 0) << hosts.output;
  write_text_file(dir.file("hosts"), hosts.output);
  write_text_file(dir.file("one.yaml"), tiny_experiment_yaml(dir.file("one")));
  write_text_file(dir.file("two.yaml"), tiny_experiment_yaml(dir.file("two")));

  // One compute thread a rank on both: a host of its own would give its one rank both cores, and
  // another thread count sums a convolution's terms in another order.
  const std::string threads = "dist.threads_per_rank=1";
  const auto one = run_fct(2, {"train", dir.file("one.yaml"), threads, "--no-progress"}, 600);
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const int64_t before = link_bytes("fct-h1-veth") + link_bytes("fct-h2-veth");
  const auto two = run_fct_on_hosts(dir.file("hosts"), 2,
                                    {"train", dir.file("two.yaml"), threads, "--no-progress"}, 600);
  ASSERT_EQ(two.exit_code, 0) << two.output;
  // The gradients crossed the bridge: far more than the launch's few kilobytes.
  EXPECT_GT(link_bytes("fct-h1-veth") + link_bytes("fct-h2-veth") - before, 1 << 20);

  const auto a = models::load_embedding_model(dir.file("one/model.pt"));
  const auto b = models::load_embedding_model(dir.file("two/model.pt"));
  const auto pa = a.model->named_parameters();
  const auto pb = b.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) EXPECT_TRUE(item.value().equal(pb[item.key()])) << item.key();
}

}  // namespace
}  // namespace fct::testing
