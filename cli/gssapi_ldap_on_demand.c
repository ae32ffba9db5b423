/* The GSSAPI (Kerberos) and LDAP functions libpq calls, for the dbsafe
 * command, which links libpq statically (CMakeLists.txt). Linked directly,
 * libgssapi_krb5 and libldap would load at every start, with a dozen more
 * libraries behind them (GnuTLS, SASL, krb5, ...): milliseconds of mapping
 * and relocation for every `dbsafe check` that never connects, and most
 * connections never use them. Each function here loads its library on first
 * use and forwards to the real function.
 *
 * When a library cannot be loaded, the functions answer as a system without
 * Kerberos credentials or LDAP would: GSS_S_FAILURE and no objects, so libpq
 * connects without GSSAPI encryption, and reports a server that demands
 * GSSAPI authentication (or an ldap:// service entry) as an error. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#include <gssapi/gssapi.h>
#define LDAP_DEPRECATED 1 /* libpq calls ldap_init, ldap_simple_bind, ... */
#include <ldap.h>

struct on_demand_library {
  const char *soname;
  pthread_once_t once;
  void *handle;
};

static struct on_demand_library gssapi_library = {"libgssapi_krb5.so.2", PTHREAD_ONCE_INIT, NULL};
static struct on_demand_library ldap_library = {"libldap-2.5.so.0", PTHREAD_ONCE_INIT, NULL};

static void load_gssapi(void) {
  gssapi_library.handle = dlopen(gssapi_library.soname, RTLD_NOW | RTLD_LOCAL);
}
static void load_ldap(void) {
  ldap_library.handle = dlopen(ldap_library.soname, RTLD_NOW | RTLD_LOCAL);
}

/* `name` from the library, loading it on the first call; NULL when the
 * library or the function is missing. */
static void *library_function(struct on_demand_library *library, const char *name) {
  pthread_once(&library->once, library == &gssapi_library ? load_gssapi : load_ldap);
  return library->handle ? dlsym(library->handle, name) : NULL;
}

/* Declares `real`, the library's own `name`, looked up once per process
 * (two threads racing may both look it up: they find the same address). */
#define REAL_FUNCTION(library, name)                                          \
  static __typeof__(&name) real_function;                                     \
  __typeof__(&name) real = __atomic_load_n(&real_function, __ATOMIC_ACQUIRE); \
  if (!real) {                                                                \
    real = (__typeof__(&name))library_function(&library, #name);              \
    __atomic_store_n(&real_function, real, __ATOMIC_RELEASE);                 \
  }

/* libpq passes GSS_C_NT_HOSTBASED_SERVICE before any call has loaded the
 * library, so it cannot be read from there. GSSAPI compares name types by
 * value: this is the OID RFC 2743 section 4.1 gives it,
 * {iso(1) member-body(2) United States(840) mit(113554) infosys(1)
 * gssapi(2) generic(1) service_name(4)}. */
static gss_OID_desc hostbased_service_oid = {10,
                                             (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"};
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &hostbased_service_oid;

/* Without the library: no minor status, no objects, and the calls that
 * release objects (of which there can be none) succeed. */
static OM_uint32 unavailable(OM_uint32 *minor_status) {
  if (minor_status) *minor_status = 0;
  return GSS_S_FAILURE;
}
static OM_uint32 nothing_to_release(OM_uint32 *minor_status) {
  if (minor_status) *minor_status = 0;
  return GSS_S_COMPLETE;
}
static void empty_buffer(gss_buffer_t buffer) {
  if (buffer) {
    buffer->length = 0;
    buffer->value = NULL;
  }
}

OM_uint32 KRB5_CALLCONV gss_acquire_cred(OM_uint32 *minor_status, gss_name_t desired_name,
                                         OM_uint32 time_req, gss_OID_set desired_mechs,
                                         gss_cred_usage_t cred_usage,
                                         gss_cred_id_t *output_cred_handle,
                                         gss_OID_set *actual_mechs, OM_uint32 *time_rec) {
  REAL_FUNCTION(gssapi_library, gss_acquire_cred)
  if (real)
    return real(minor_status, desired_name, time_req, desired_mechs, cred_usage, output_cred_handle,
                actual_mechs, time_rec);
  if (output_cred_handle) *output_cred_handle = GSS_C_NO_CREDENTIAL;
  return unavailable(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_release_cred(OM_uint32 *minor_status, gss_cred_id_t *cred_handle) {
  REAL_FUNCTION(gssapi_library, gss_release_cred)
  if (real) return real(minor_status, cred_handle);
  return nothing_to_release(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_init_sec_context(
    OM_uint32 *minor_status, gss_cred_id_t claimant_cred_handle, gss_ctx_id_t *context_handle,
    gss_name_t target_name, gss_OID mech_type, OM_uint32 req_flags, OM_uint32 time_req,
    gss_channel_bindings_t input_chan_bindings, gss_buffer_t input_token, gss_OID *actual_mech_type,
    gss_buffer_t output_token, OM_uint32 *ret_flags, OM_uint32 *time_rec) {
  REAL_FUNCTION(gssapi_library, gss_init_sec_context)
  if (real)
    return real(minor_status, claimant_cred_handle, context_handle, target_name, mech_type,
                req_flags, time_req, input_chan_bindings, input_token, actual_mech_type,
                output_token, ret_flags, time_rec);
  empty_buffer(output_token);
  return unavailable(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_delete_sec_context(OM_uint32 *minor_status,
                                               gss_ctx_id_t *context_handle,
                                               gss_buffer_t output_token) {
  REAL_FUNCTION(gssapi_library, gss_delete_sec_context)
  if (real) return real(minor_status, context_handle, output_token);
  empty_buffer(output_token);
  return nothing_to_release(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_wrap(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                                 int conf_req_flag, gss_qop_t qop_req,
                                 gss_buffer_t input_message_buffer, int *conf_state,
                                 gss_buffer_t output_message_buffer) {
  REAL_FUNCTION(gssapi_library, gss_wrap)
  if (real)
    return real(minor_status, context_handle, conf_req_flag, qop_req, input_message_buffer,
                conf_state, output_message_buffer);
  empty_buffer(output_message_buffer);
  return unavailable(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_unwrap(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                                   gss_buffer_t input_message_buffer,
                                   gss_buffer_t output_message_buffer, int *conf_state,
                                   gss_qop_t *qop_state) {
  REAL_FUNCTION(gssapi_library, gss_unwrap)
  if (real)
    return real(minor_status, context_handle, input_message_buffer, output_message_buffer,
                conf_state, qop_state);
  empty_buffer(output_message_buffer);
  return unavailable(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_wrap_size_limit(OM_uint32 *minor_status, gss_ctx_id_t context_handle,
                                            int conf_req_flag, gss_qop_t qop_req,
                                            OM_uint32 req_output_size, OM_uint32 *max_input_size) {
  REAL_FUNCTION(gssapi_library, gss_wrap_size_limit)
  if (real)
    return real(minor_status, context_handle, conf_req_flag, qop_req, req_output_size,
                max_input_size);
  return unavailable(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_display_status(OM_uint32 *minor_status, OM_uint32 status_value,
                                           int status_type, gss_OID mech_type,
                                           OM_uint32 *message_context, gss_buffer_t status_string) {
  REAL_FUNCTION(gssapi_library, gss_display_status)
  if (real)
    return real(minor_status, status_value, status_type, mech_type, message_context, status_string);
  if (message_context) *message_context = 0;
  empty_buffer(status_string);
  return unavailable(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_import_name(OM_uint32 *minor_status, gss_buffer_t input_name_buffer,
                                        gss_OID input_name_type, gss_name_t *output_name) {
  REAL_FUNCTION(gssapi_library, gss_import_name)
  if (real) return real(minor_status, input_name_buffer, input_name_type, output_name);
  if (output_name) *output_name = GSS_C_NO_NAME;
  return unavailable(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_release_name(OM_uint32 *minor_status, gss_name_t *input_name) {
  REAL_FUNCTION(gssapi_library, gss_release_name)
  if (real) return real(minor_status, input_name);
  return nothing_to_release(minor_status);
}

OM_uint32 KRB5_CALLCONV gss_release_buffer(OM_uint32 *minor_status, gss_buffer_t buffer) {
  REAL_FUNCTION(gssapi_library, gss_release_buffer)
  if (real) return real(minor_status, buffer);
  return nothing_to_release(minor_status);
}

/* LDAP: libpq reaches these only for an ldap:// entry of a service file,
 * after ldap_init, which fails without the library. */

LDAP *ldap_init(LDAP_CONST char *host, int port) {
  REAL_FUNCTION(ldap_library, ldap_init)
  return real ? real(host, port) : NULL;
}

char *ldap_err2string(int err) {
  REAL_FUNCTION(ldap_library, ldap_err2string)
  return real ? real(err) : (char *)"the LDAP library (libldap-2.5.so.0) could not be loaded";
}

int ldap_set_option(LDAP *ld, int option, LDAP_CONST void *invalue) {
  REAL_FUNCTION(ldap_library, ldap_set_option)
  return real ? real(ld, option, invalue) : LDAP_OTHER;
}

int ldap_simple_bind(LDAP *ld, LDAP_CONST char *who, LDAP_CONST char *passwd) {
  REAL_FUNCTION(ldap_library, ldap_simple_bind)
  return real ? real(ld, who, passwd) : -1;
}

int ldap_search_st(LDAP *ld, LDAP_CONST char *base, int scope, LDAP_CONST char *filter,
                   char **attrs, int attrsonly, struct timeval *timeout, LDAPMessage **res) {
  REAL_FUNCTION(ldap_library, ldap_search_st)
  if (real) return real(ld, base, scope, filter, attrs, attrsonly, timeout, res);
  if (res) *res = NULL;
  return LDAP_OTHER;
}

int ldap_result(LDAP *ld, int msgid, int all, struct timeval *timeout, LDAPMessage **result) {
  REAL_FUNCTION(ldap_library, ldap_result)
  if (real) return real(ld, msgid, all, timeout, result);
  if (result) *result = NULL;
  return -1;
}

int ldap_count_entries(LDAP *ld, LDAPMessage *chain) {
  REAL_FUNCTION(ldap_library, ldap_count_entries)
  return real ? real(ld, chain) : -1;
}

LDAPMessage *ldap_first_entry(LDAP *ld, LDAPMessage *chain) {
  REAL_FUNCTION(ldap_library, ldap_first_entry)
  return real ? real(ld, chain) : NULL;
}

struct berval **ldap_get_values_len(LDAP *ld, LDAPMessage *entry, LDAP_CONST char *target) {
  REAL_FUNCTION(ldap_library, ldap_get_values_len)
  return real ? real(ld, entry, target) : NULL;
}

void ldap_value_free_len(struct berval **vals) {
  REAL_FUNCTION(ldap_library, ldap_value_free_len)
  if (real) real(vals);
}

int ldap_msgfree(LDAPMessage *lm) {
  REAL_FUNCTION(ldap_library, ldap_msgfree)
  return real ? real(lm) : -1;
}

int ldap_unbind(LDAP *ld) {
  REAL_FUNCTION(ldap_library, ldap_unbind)
  return real ? real(ld) : -1;
}
