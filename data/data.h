// Everything in nf_data: datasets, readers, transforms, loader, splits.
#pragma once
#include "data/cifar.h"
#include "data/dataset.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "data/split.h"
#include "data/transforms.h"
