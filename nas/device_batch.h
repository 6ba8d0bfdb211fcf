// Moving data-loader batches to the device a network trains on. The loader
// builds and transforms batches on the host (x [B,C,H,W] f32, y [B] i64);
// each batch is copied to the device just before its step.
#pragma once
#include "data/dataset.h"
#include "tensor/device.h"

namespace nf::nas {

// The batch with images and labels on `device` (the batch itself when both are there already).
data::Batch to_device(const data::Batch& batch, Device device);

}  // namespace nf::nas
