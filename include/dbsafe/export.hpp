// Symbol visibility for dbsafe's public C++ API (the library is built with
// -fvisibility=hidden; only what is marked here and the C ABI is exported).
#pragma once

#if defined(_WIN32)
#define DBSAFE_CXX_API
#else
#define DBSAFE_CXX_API __attribute__((visibility("default")))
#endif
