/* The pod sandbox's process on the real node (containerd's sandbox_image): it waits for a
 * signal, reaping any child meanwhile (it is PID 1 of a pod that shares its process
 * namespace). Named "pause", as the collector's sandbox probe looks for. Static: its image
 * holds this one file. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig)
{
    (void)sig;
    _exit(0);
}

static void on_child(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

int main(void)
{
    signal(SIGINT, on_term);
    signal(SIGTERM, on_term);
    signal(SIGCHLD, on_child);
    for (;;)
        pause();
}
