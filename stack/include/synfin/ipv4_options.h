/* IPv4 option types and the layout of a route option (RFC 791 3.1), for
 * the stack and for the tools that write, parse and check them. */
#ifndef SYNFIN_IPV4_OPTIONS_H
#define SYNFIN_IPV4_OPTIONS_H

#define SF_IPOPT_EOL 0    /* end of option list */
#define SF_IPOPT_NOP 1    /* no operation */
#define SF_IPOPT_RR 7     /* record route */
#define SF_IPOPT_LSRR 131 /* loose source and record route */
#define SF_IPOPT_SSRR 137 /* strict source and record route */

#define SF_IPOPT_MAX 40       /* option bytes a header holds */
#define SF_IPOPT_ROUTE_HDR 3  /* a route's type, length, pointer */
#define SF_IPOPT_ROUTE_PTR0 4 /* the pointer of a fresh route */

#endif
