# pool.py: a multiprocessing pool measured by coverage.py (run it under
# `coverage run --rcfile=pool.coveragerc`). Each of the N
# workers saves its data file as it exits, the k-th k * SPREAD / (N - 1) seconds
# after the first: a finalizer sleeps before coverage.py's own save. Prints the
# workers' pids, one line, once they have all started, then waits for a line on
# its stdin before giving them their tasks.
import multiprocessing
import multiprocessing.util
import os
import sys
import time


def delay(n, spread):
    k = multiprocessing.current_process()._identity[0] - 1
    multiprocessing.util.Finalize(None, time.sleep, args=(spread * k / max(n - 1, 1),),
                                  exitpriority=100)


def square(x):
    return os.getpid(), x * x


if __name__ == "__main__":
    n, spread = int(sys.argv[1]), float(sys.argv[2])
    multiprocessing.set_start_method("fork")
    with multiprocessing.Pool(n, initializer=delay, initargs=(n, spread)) as pool:
        pids = sorted(p.pid for p in pool._pool)
        print(" ".join(map(str, pids)), flush=True)
        sys.stdin.readline()  # go: the workers save and exit after the tasks
        assert sum(v for _, v in pool.map(square, range(40))) == sum(x * x for x in range(40))
        pool.close()
        pool.join()
