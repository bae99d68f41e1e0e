/* Runs the per-pod signal files' parsers (PSI pressure, /proc/<pid>/net/dev, memory.events) on
 * the input and checks what must hold whatever the bytes: the result agrees with what was
 * read, a buffer marked cut short never yields more than the whole one, and no total exceeds
 * what its lines could sum to. */
#include <stdint.h>
#include <string.h>

#include "sample/net_dev_parse.h"
#include "sample/pressure_parse.h"
#include "sample/stat_parse.h"
#include "fuzz_check.h"

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t n = 0;

    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n + (size > 0 && data[size - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t lines = count_lines(data, size);

    for (int t = 0; t < 2; t++) {
        struct pressure p;
        struct net_dev_totals nd;
        struct memory_events ev;
        int rc = parse_pressure(buf, size, t, &p);

        CHECK((rc == 0) == p.has_some);
        CHECK(p.has_some || p.some_usec == 0);
        CHECK(p.has_full || p.full_usec == 0);
        rc = parse_net_dev(buf, size, t, &nd);
        CHECK(rc == 0 || nd.interfaces == 0);
        CHECK(nd.interfaces <= lines);
        CHECK(nd.rx_packets == 0 || nd.interfaces > 0);
        rc = parse_memory_events(buf, size, t, &ev);
        CHECK((rc == 0) == !!(ev.present & (UINT64_C(1) << MEMEV_OOM_KILL)));
        CHECK((ev.present >> MEMEV_NFIELDS) == 0);
    }
    /* Cut short, the final line is dropped: never more interfaces than the whole buffer. */
    {
        struct net_dev_totals whole, cut;
        parse_net_dev(buf, size, 0, &whole);
        parse_net_dev(buf, size, 1, &cut);
        CHECK(cut.interfaces <= whole.interfaces);
        CHECK(cut.rx_bytes <= whole.rx_bytes);
    }
    return 0;
}
