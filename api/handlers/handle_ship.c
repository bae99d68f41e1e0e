/* Collector shipments: authenticate, decode, store, acknowledge. A shipment that fails any
 * step stores nothing and gets a status that says why. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "log.h"
#include "wire/wire_decode.h"

#include "handlers.h"
#include "http/respond.h"

/* Both wire versions are taken, each under its own content type (docs/wire-format.md). */
#define SHIP_CONTENT_TYPE_PREFIX "application/vnd.kmetrics.shipment.v"

/* The wire version a content type names, or 0 when it is not a shipment's. */
static unsigned ship_content_version(h2o_iovec_t ctype)
{
    size_t n = strlen(SHIP_CONTENT_TYPE_PREFIX);

    if (ctype.len != n + 1 || memcmp(ctype.base, SHIP_CONTENT_TYPE_PREFIX, n) != 0) return 0;
    if (ctype.base[n] == '0' + WIRE_VERSION_1) return WIRE_VERSION_1;
    if (ctype.base[n] == '0' + WIRE_VERSION) return WIRE_VERSION;
    return 0;
}

void ship_reject(struct aggregator *agg, h2o_req_t *req, enum ship_reject why, int code,
                 const char *message)
{
    char peer[NI_MAXHOST];

    request_peer(req, peer, sizeof(peer));
    selfmetrics_reject(&agg->metrics, why);
    LOG_RATELIMITED(LOG_WARN, "shipment from %s rejected (%d): %s", peer, code, message);
    respond_status(req, MEDIA_JSON, code,
                   code == 401   ? "Unauthorized"
                   : code == 403 ? "Forbidden"
                   : code == 503 ? "ServiceUnavailable"
                                 : "BadRequest",
                   message, NULL, NULL);
}

void handle_ship(struct aggregator *agg, h2o_req_t *req, const char *node)
{
    struct wire_shipment ship;
    struct wire_arena arena;
    enum store_apply_result result;
    char err[256], body[96];
    unsigned version;
    int rc;

    if (!request_method_is(req, "POST")) {
        ship_reject(agg, req, REJECT_METHOD, 405, "shipments are POSTed");
        return;
    }
    /* Kubernetes mode: auth_gate.c vouched for the collector and names its node. */
    if (!node && !request_bearer_matches(req, agg->cfg.ship_token)) {
        ship_reject(agg, req, REJECT_UNAUTHENTICATED, 401, "shipment not authenticated");
        return;
    }
    version = ship_content_version(request_header(req, H2O_TOKEN_CONTENT_TYPE));
    if (!version) {
        ship_reject(agg, req, REJECT_CONTENT_TYPE, 415,
                    "content type must be " SHIP_CONTENT_TYPE_PREFIX
                    "1 or " SHIP_CONTENT_TYPE_PREFIX "2");
        return;
    }
    wire_arena_init(&arena);
    rc = wire_decode(req->entity.base, req->entity.len, &ship, &arena, err, sizeof(err));
    if (rc) {
        wire_arena_done(&arena);
        ship_reject(agg, req, rc == -EMSGSIZE || rc == -EFBIG ? REJECT_TOO_LARGE : REJECT_MALFORMED,
                    rc == -EMSGSIZE || rc == -EFBIG ? 413 : 400, err);
        return;
    }
    if (ship.version != version) {
        snprintf(err, sizeof(err), "the body is wire version %u, its content type says %u",
                 ship.version, version);
        wire_arena_done(&arena);
        ship_reject(agg, req, REJECT_MALFORMED, 400, err);
        return;
    }
    if (node && strcmp(node, ship.node_name) != 0) {
        char msg[160 + 2 * 256];
        snprintf(msg, sizeof(msg), "the collector of node %s may not ship for node %s", node,
                 ship.node_name);
        wire_arena_done(&arena);
        ship_reject(agg, req, REJECT_WRONG_NODE, 403, msg);
        return;
    }
    rc = store_apply(&agg->store, &ship, clock_mono_ns(), &result);
    if (rc) {
        wire_arena_done(&arena);
        ship_reject(agg, req, REJECT_INTERNAL, 500, "out of memory storing the shipment");
        return;
    }
    if (result == STORE_NEED_FULL) {
        selfmetrics_ship(&agg->metrics, SHIP_RESYNC, -1);
        log_debug("node %s: delta seq %llu needs a full snapshot", ship.node_name,
                  (unsigned long long)ship.seq);
        wire_arena_done(&arena);
        respond_text(req, 409, "application/json", "{\"resync\":true}");
        return;
    }
    selfmetrics_ship(&agg->metrics, result == STORE_APPLIED ? SHIP_STORED : SHIP_DUPLICATE,
                     (double)(clock_real_ns() - ship.sent_ns) / 1e9);
    if (result == STORE_APPLIED) {
        agg->shipments_seen = true;
        agg->last_ship_mono_ns = clock_mono_ns();
    }
    snprintf(body, sizeof(body), "{\"ack\":%llu}", (unsigned long long)ship.seq);
    wire_arena_done(&arena);
    respond_text(req, 200, "application/json", body);
}
