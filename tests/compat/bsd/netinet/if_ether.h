/* <netinet/if_ether.h>: nothing of it is used beyond the include. */
