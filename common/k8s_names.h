/* Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation), shared by every parser
 * that accepts names from outside: request paths, selectors, shipments. */
#ifndef KMETRICS_K8S_NAMES_H
#define KMETRICS_K8S_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define K8S_DNS_LABEL_MAX 63
#define K8S_DNS_SUBDOMAIN_MAX 253

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 (namespaces, container names). */
bool k8s_dns_label(const char *s, size_t n);
/* RFC 1123 subdomain: labels joined by dots, at most 253 in all (pod and node names). As in
 * IsDNS1123Subdomain, only the total length is limited. */
bool k8s_dns_subdomain(const char *s, size_t n);

#endif
