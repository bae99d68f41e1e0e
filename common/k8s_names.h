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

/* Label key (validation.IsQualifiedName): an optional DNS-subdomain prefix and '/', then a
 * name of 1-63 of [A-Za-z0-9-_.] starting and ending alphanumeric. */
bool k8s_label_key(const char *s, size_t n);
/* Label value (validation.IsValidLabelValue): empty, or a name as in a key, at most 63. */
bool k8s_label_value(const char *s, size_t n);

#endif
