#include "framework/study/registered_names.h"

#include "framework/data/dataset_registry.h"
#include "framework/distributed/communicator.h"
#include "framework/eval/backfill_order.h"
#include "framework/losses/classification_loss.h"
#include "framework/models/embedding_model.h"
#include "framework/train/optimizer_registry.h"

namespace fct::study {

config::RegisteredNames registered_names() {
  config::RegisteredNames names;
  names.add("dataset", data::dataset_names())
      .add("model", models::model_names())
      .add("loss", losses::classification_loss_names())
      .add("optimizer", train::optimizer_registry().names())
      .add("backfill order", eval::backfill_orders().names())
      .add("communicator", distributed::communicator_names());
  return names;
}

}  // namespace fct::study
