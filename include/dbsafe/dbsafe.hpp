// dbsafe's C++20 API. Link dbsafe::dbsafe (CMake) or `pkg-config dbsafe`.
#pragma once

#include "dbsafe/backup.hpp"
#include "dbsafe/call.hpp"
#include "dbsafe/check.hpp"
#include "dbsafe/deploy.hpp"
#include "dbsafe/error.hpp"
#include "dbsafe/maintenance.hpp"
#include "dbsafe/migrate.hpp"
#include "dbsafe/schema.hpp"
#include "dbsafe/source.hpp"
#include "dbsafe/version.hpp"
