/* services.h - port names from a services(5) file, read once at start. */
#ifndef WIRESTAT_SERVICES_H
#define WIRESTAT_SERVICES_H

#include <stddef.h>
#include <stdint.h>

struct services;

#define SERVICES_DEFAULT_PATH "/etc/services"

/* Read path; NULL with errbuf filled if it cannot be opened.  Lines that
 * do not parse are skipped and counted (services_skipped()). */
struct services *services_load(const char *path, char *errbuf);
void services_free(struct services *s);

/* The name of port for proto ("tcp" or "udp"), or NULL. */
const char *services_name(const struct services *s, uint16_t port,
			  const char *proto);

size_t services_count(const struct services *s);
size_t services_skipped(const struct services *s);

#endif
