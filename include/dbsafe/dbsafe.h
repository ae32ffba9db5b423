/* dbsafe: the stable C ABI. The only header bindings include.
 * See docs/C_API.md for conventions, ownership and thread safety. */
#ifndef DBSAFE_H
#define DBSAFE_H

#include "c/call.h"
#include "c/cli.h"
#include "c/common.h"
#include "c/error.h"
#include "c/source.h"
#include "c/check.h"
#include "c/migrate.h"
#include "c/schema.h"
#include "c/provider.h"
#include "c/deploy.h"
#include "c/backup.h"
#include "c/maintenance.h"
#include "c/copy.h"

#endif /* DBSAFE_H */
