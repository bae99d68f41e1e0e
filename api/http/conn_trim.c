/* Accepted sockets give back their empty input buffers while idle (conn_trim.h). */
#include "conn_trim.h"

#include <stdlib.h>

struct tracked {
    h2o_linklist_t link;
    h2o_socket_t *sock;
};

static h2o_linklist_t open_sockets = {&open_sockets, &open_sockets};
static uint64_t released_total;

static void on_close(void *data)
{
    struct tracked *t = data;

    h2o_linklist_unlink(&t->link);
    free(t);
}

bool conn_trim_track(h2o_socket_t *sock)
{
    struct tracked *t = calloc(1, sizeof(*t));

    if (!t) return false;
    t->sock = sock;
    sock->on_close.cb = on_close;
    sock->on_close.data = t;
    h2o_linklist_insert(&open_sockets, &t->link);
    return true;
}

size_t conn_trim_idle(void)
{
    size_t n = 0;

    for (h2o_linklist_t *l = open_sockets.next; l != &open_sockets; l = l->next) {
        h2o_buffer_t **buf = &H2O_STRUCT_FROM_MEMBER(struct tracked, link, l)->sock->input;
        if (*buf && (*buf)->bytes != NULL && (*buf)->size == 0) {
            h2o_buffer_prototype_t *proto = (*buf)->_prototype;
            h2o_buffer_dispose(buf);
            h2o_buffer_init(buf, proto);
            n++;
        }
    }
    released_total += n;
    return n;
}

void conn_trim_get_stats(struct conn_trim_stats *out)
{
    *out = (struct conn_trim_stats){.released_total = released_total};
    for (h2o_linklist_t *l = open_sockets.next; l != &open_sockets; l = l->next) {
        const h2o_buffer_t *buf = H2O_STRUCT_FROM_MEMBER(struct tracked, link, l)->sock->input;
        out->open++;
        if (buf && buf->bytes != NULL) { /* a prototype's initial buffer has none */
            out->holding++;
            out->held_bytes += buf->capacity;
        }
    }
}
