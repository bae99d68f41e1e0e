/* The pods' signal records (store.h's struct store_pod_signals) by binary pod uid: a side
 * table, so a pod without signals costs nothing. A pointer in every pod would cost 8 bytes,
 * 16 after malloc's rounding, at 550,000 pods whether or not any signal is shipped. Open
 * addressing, 8 bytes a slot; the records own their uid. */
#ifndef KMETRICS_SIGNAL_INDEX_H
#define KMETRICS_SIGNAL_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct store_pod_signals;

struct signal_index {
    struct store_pod_signals **slots;
    size_t cap; /* power of two, or 0 */
    size_t len;
    size_t used; /* live + tombstones */
};

void signal_index_init(struct signal_index *x);
/* Frees the table and every record in it. */
void signal_index_done(struct signal_index *x);
struct store_pod_signals *signal_index_get(const struct signal_index *x, const uint8_t uid[16]);
/* The record for uid, a new zeroed one (its uid set) when there is none; NULL on ENOMEM. */
struct store_pod_signals *signal_index_get_or_add(struct signal_index *x, const uint8_t uid[16]);
/* Removes and frees the record for uid, if any. */
void signal_index_del(struct signal_index *x, const uint8_t uid[16]);

#endif
