/* Closing an h2o multithread queue (worker threads -> event loop) once its senders have
 * stopped: messages sent but never delivered go to drop(), then the receiver and the queue. */
#ifndef KMETRICS_LOOP_QUEUE_H
#define KMETRICS_LOOP_QUEUE_H

#include <stdlib.h>

#include <h2o.h>
#include <h2o/multithread.h>

static inline void loop_queue_close(h2o_multithread_queue_t *queue,
                                    h2o_multithread_receiver_t *receiver,
                                    void (*drop)(h2o_multithread_message_t *m))
{
    while (!h2o_linklist_is_empty(&receiver->_messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, receiver->_messages.next);
        h2o_linklist_unlink(&m->link);
        drop(m);
    }
    h2o_multithread_unregister_receiver(queue, receiver);
    h2o_multithread_destroy_queue(queue);
#if !H2O_USE_LIBUV && H2O_VERSION_MAJOR == 2 && H2O_VERSION_MINOR < 3
    /* h2o 2.2's evloop destroy_queue closes the queue's socket but never frees the queue
     * itself (later versions do); nothing refers to it once its socket is closed. */
    free(queue);
#endif
}

#endif
