// libpq, loaded when the first database call needs it rather than when the
// program starts. libpq pulls in some twenty shared libraries (TLS, Kerberos,
// LDAP, …) whose mapping and relocation would otherwise cost every `dbsafe
// check` and `dbsafe list` run milliseconds without ever connecting.
//
// This file defines the libpq functions dbsafe calls, each forwarding to the
// real one found with dlsym. In libdbsafe.so they are hidden (the version
// script exports only dbsafe's API), so they never interpose on another copy
// of libpq in the process; dlopen hands back that copy if it is loaded.
#include <dlfcn.h>
#include <libpq-fe.h>

#include <mutex>
#include <string>

#include "dbsafe/error.hpp"

namespace {

struct Api {
#define DBSAFE_LIBPQ_SLOT(name) decltype(&::name) name = nullptr;
  DBSAFE_LIBPQ_SLOT(PQconnectStart)
  DBSAFE_LIBPQ_SLOT(PQconnectPoll)
  DBSAFE_LIBPQ_SLOT(PQconnectdb)
  DBSAFE_LIBPQ_SLOT(PQconninfo)
  DBSAFE_LIBPQ_SLOT(PQconninfoParse)
  DBSAFE_LIBPQ_SLOT(PQconninfoFree)
  DBSAFE_LIBPQ_SLOT(PQstatus)
  DBSAFE_LIBPQ_SLOT(PQtransactionStatus)
  DBSAFE_LIBPQ_SLOT(PQerrorMessage)
  DBSAFE_LIBPQ_SLOT(PQsocket)
  DBSAFE_LIBPQ_SLOT(PQbackendPID)
  DBSAFE_LIBPQ_SLOT(PQserverVersion)
  DBSAFE_LIBPQ_SLOT(PQparameterStatus)
  DBSAFE_LIBPQ_SLOT(PQfinish)
  DBSAFE_LIBPQ_SLOT(PQsetNoticeReceiver)
  DBSAFE_LIBPQ_SLOT(PQexec)
  DBSAFE_LIBPQ_SLOT(PQexecParams)
  DBSAFE_LIBPQ_SLOT(PQsendQuery)
  DBSAFE_LIBPQ_SLOT(PQconsumeInput)
  DBSAFE_LIBPQ_SLOT(PQisBusy)
  DBSAFE_LIBPQ_SLOT(PQgetResult)
  DBSAFE_LIBPQ_SLOT(PQputCopyData)
  DBSAFE_LIBPQ_SLOT(PQputCopyEnd)
  DBSAFE_LIBPQ_SLOT(PQgetCopyData)
  DBSAFE_LIBPQ_SLOT(PQresultStatus)
  DBSAFE_LIBPQ_SLOT(PQresultErrorField)
  DBSAFE_LIBPQ_SLOT(PQresultErrorMessage)
  DBSAFE_LIBPQ_SLOT(PQntuples)
  DBSAFE_LIBPQ_SLOT(PQgetvalue)
  DBSAFE_LIBPQ_SLOT(PQgetisnull)
  DBSAFE_LIBPQ_SLOT(PQclear)
  DBSAFE_LIBPQ_SLOT(PQfreemem)
  DBSAFE_LIBPQ_SLOT(PQescapeIdentifier)
  DBSAFE_LIBPQ_SLOT(PQescapeLiteral)
  DBSAFE_LIBPQ_SLOT(PQgetCancel)
  DBSAFE_LIBPQ_SLOT(PQfreeCancel)
  DBSAFE_LIBPQ_SLOT(PQcancel)
#undef DBSAFE_LIBPQ_SLOT
};

const Api &api() {
  static Api table;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    void *lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char *why = dlerror();
      failure = std::string("cannot load libpq.so.5, PostgreSQL's client library (") +
                (why ? why : "unknown reason") +
                "); install it (Debian and Ubuntu: apt-get install libpq5)";
      return;
    }
#define DBSAFE_LIBPQ_LOAD(name)                                           \
  table.name = reinterpret_cast<decltype(table.name)>(dlsym(lib, #name)); \
  if (table.name == nullptr && failure.empty())                           \
    failure = "libpq.so.5 lacks " #name                                   \
              "; dbsafe needs libpq from PostgreSQL 14 "                  \
              "or newer";
    DBSAFE_LIBPQ_LOAD(PQconnectStart)
    DBSAFE_LIBPQ_LOAD(PQconnectPoll)
    DBSAFE_LIBPQ_LOAD(PQconnectdb)
    DBSAFE_LIBPQ_LOAD(PQconninfo)
    DBSAFE_LIBPQ_LOAD(PQconninfoParse)
    DBSAFE_LIBPQ_LOAD(PQconninfoFree)
    DBSAFE_LIBPQ_LOAD(PQstatus)
    DBSAFE_LIBPQ_LOAD(PQtransactionStatus)
    DBSAFE_LIBPQ_LOAD(PQerrorMessage)
    DBSAFE_LIBPQ_LOAD(PQsocket)
    DBSAFE_LIBPQ_LOAD(PQbackendPID)
    DBSAFE_LIBPQ_LOAD(PQserverVersion)
    DBSAFE_LIBPQ_LOAD(PQparameterStatus)
    DBSAFE_LIBPQ_LOAD(PQfinish)
    DBSAFE_LIBPQ_LOAD(PQsetNoticeReceiver)
    DBSAFE_LIBPQ_LOAD(PQexec)
    DBSAFE_LIBPQ_LOAD(PQexecParams)
    DBSAFE_LIBPQ_LOAD(PQsendQuery)
    DBSAFE_LIBPQ_LOAD(PQconsumeInput)
    DBSAFE_LIBPQ_LOAD(PQisBusy)
    DBSAFE_LIBPQ_LOAD(PQgetResult)
    DBSAFE_LIBPQ_LOAD(PQputCopyData)
    DBSAFE_LIBPQ_LOAD(PQputCopyEnd)
    DBSAFE_LIBPQ_LOAD(PQgetCopyData)
    DBSAFE_LIBPQ_LOAD(PQresultStatus)
    DBSAFE_LIBPQ_LOAD(PQresultErrorField)
    DBSAFE_LIBPQ_LOAD(PQresultErrorMessage)
    DBSAFE_LIBPQ_LOAD(PQntuples)
    DBSAFE_LIBPQ_LOAD(PQgetvalue)
    DBSAFE_LIBPQ_LOAD(PQgetisnull)
    DBSAFE_LIBPQ_LOAD(PQclear)
    DBSAFE_LIBPQ_LOAD(PQfreemem)
    DBSAFE_LIBPQ_LOAD(PQescapeIdentifier)
    DBSAFE_LIBPQ_LOAD(PQescapeLiteral)
    DBSAFE_LIBPQ_LOAD(PQgetCancel)
    DBSAFE_LIBPQ_LOAD(PQfreeCancel)
    DBSAFE_LIBPQ_LOAD(PQcancel)
#undef DBSAFE_LIBPQ_LOAD
  });
  // Every path to these functions starts at a connection or a URL parse, so
  // the error reaches the caller before any libpq object exists.
  if (!failure.empty()) throw dbsafe::Error(dbsafe::ErrorCode::Internal, failure);
  return table;
}

}  // namespace

extern "C" {

PGconn *PQconnectStart(const char *conninfo) {
  return api().PQconnectStart(conninfo);
}
PostgresPollingStatusType PQconnectPoll(PGconn *conn) {
  return api().PQconnectPoll(conn);
}
PGconn *PQconnectdb(const char *conninfo) {
  return api().PQconnectdb(conninfo);
}
PQconninfoOption *PQconninfo(PGconn *conn) {
  return api().PQconninfo(conn);
}
PQconninfoOption *PQconninfoParse(const char *conninfo, char **errmsg) {
  return api().PQconninfoParse(conninfo, errmsg);
}
void PQconninfoFree(PQconninfoOption *options) {
  api().PQconninfoFree(options);
}
ConnStatusType PQstatus(const PGconn *conn) {
  return api().PQstatus(conn);
}
PGTransactionStatusType PQtransactionStatus(const PGconn *conn) {
  return api().PQtransactionStatus(conn);
}
char *PQerrorMessage(const PGconn *conn) {
  return api().PQerrorMessage(conn);
}
int PQsocket(const PGconn *conn) {
  return api().PQsocket(conn);
}
int PQbackendPID(const PGconn *conn) {
  return api().PQbackendPID(conn);
}
int PQserverVersion(const PGconn *conn) {
  return api().PQserverVersion(conn);
}
const char *PQparameterStatus(const PGconn *conn, const char *paramName) {
  return api().PQparameterStatus(conn, paramName);
}
void PQfinish(PGconn *conn) {
  api().PQfinish(conn);
}
PQnoticeReceiver PQsetNoticeReceiver(PGconn *conn, PQnoticeReceiver proc, void *arg) {
  return api().PQsetNoticeReceiver(conn, proc, arg);
}
PGresult *PQexec(PGconn *conn, const char *query) {
  return api().PQexec(conn, query);
}
PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                       const char *const *paramValues, const int *paramLengths,
                       const int *paramFormats, int resultFormat) {
  return api().PQexecParams(conn, command, nParams, paramTypes, paramValues, paramLengths,
                            paramFormats, resultFormat);
}
int PQsendQuery(PGconn *conn, const char *query) {
  return api().PQsendQuery(conn, query);
}
int PQconsumeInput(PGconn *conn) {
  return api().PQconsumeInput(conn);
}
int PQisBusy(PGconn *conn) {
  return api().PQisBusy(conn);
}
PGresult *PQgetResult(PGconn *conn) {
  return api().PQgetResult(conn);
}
int PQputCopyData(PGconn *conn, const char *buffer, int nbytes) {
  return api().PQputCopyData(conn, buffer, nbytes);
}
int PQputCopyEnd(PGconn *conn, const char *errormsg) {
  return api().PQputCopyEnd(conn, errormsg);
}
int PQgetCopyData(PGconn *conn, char **buffer, int async) {
  return api().PQgetCopyData(conn, buffer, async);
}
ExecStatusType PQresultStatus(const PGresult *res) {
  return api().PQresultStatus(res);
}
char *PQresultErrorField(const PGresult *res, int fieldcode) {
  return api().PQresultErrorField(res, fieldcode);
}
char *PQresultErrorMessage(const PGresult *res) {
  return api().PQresultErrorMessage(res);
}
int PQntuples(const PGresult *res) {
  return api().PQntuples(res);
}
char *PQgetvalue(const PGresult *res, int tup_num, int field_num) {
  return api().PQgetvalue(res, tup_num, field_num);
}
int PQgetisnull(const PGresult *res, int tup_num, int field_num) {
  return api().PQgetisnull(res, tup_num, field_num);
}
void PQclear(PGresult *res) {
  api().PQclear(res);
}
void PQfreemem(void *ptr) {
  api().PQfreemem(ptr);
}
char *PQescapeIdentifier(PGconn *conn, const char *str, size_t len) {
  return api().PQescapeIdentifier(conn, str, len);
}
char *PQescapeLiteral(PGconn *conn, const char *str, size_t len) {
  return api().PQescapeLiteral(conn, str, len);
}
PGcancel *PQgetCancel(PGconn *conn) {
  return api().PQgetCancel(conn);
}
void PQfreeCancel(PGcancel *cancel) {
  api().PQfreeCancel(cancel);
}
int PQcancel(PGcancel *cancel, char *errbuf, int errbufsize) {
  return api().PQcancel(cancel, errbuf, errbufsize);
}

}  // extern "C"
