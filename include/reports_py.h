/* reports_py.h: the Python program behind gather's one-process reports. */
#ifndef COVSETTLE_REPORTS_PY_H
#define COVSETTLE_REPORTS_PY_H

extern const char reports_py[];

#endif
