/* SPDX-License-Identifier: MIT */
/* theory_cli.c — `gradsweep theory` (see theory_cli.h): the theory module's
 * fixed points, depth scales and critical scales, printed. */
#include "gradsweep/theory_cli.h"

#include <math.h>
#include <stdio.h>

#include "gradsweep/theory.h"

/* "inf", "nan" or %.6g, the same in the table and in CSV. */
static const char *number(double v, char *buf, size_t size) {
    if (isnan(v)) return "nan";
    if (isinf(v)) return v > 0 ? "inf" : "-inf";
    snprintf(buf, size, "%.6g", v);
    return buf;
}

static const char *phase_name(double chi1) {
    if (isnan(chi1)) return "nan";
    return fabs(chi1 - 1) <= 1e-9 ? "critical" : chi1 < 1 ? "ordered" : "chaotic";
}

static void print_theory_row(bool csv, const char *activation, double sigma_b, double sigma_w,
                             const gs_fixed_point *fp, const char *phase) {
    char b[8][32];
    const char *v[] = {number(sigma_b, b[0], 32),     number(sigma_w, b[1], 32),
                       number(fp->q_star, b[2], 32),  number(fp->chi1, b[3], 32),
                       number(fp->xi_q, b[4], 32),    number(fp->xi_c, b[5], 32),
                       number(6 * fp->xi_c, b[6], 32)};
    const char *stable = isnan(sigma_w) ? "nan" : stability_name(fp->stability);
    if (csv)
        printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", activation, v[0], v[1], v[2], v[3], v[4], v[5],
               v[6], stable, phase);
    else
        printf("%-11s %8s %12s %11s %10s %9s %9s %9s  %-8s %s\n", activation, v[0], v[1], v[2],
               v[3], v[4], v[5], v[6], stable, phase);
}

static void print_header(bool csv, bool at_critical) {
    if (csv) {
        printf("activation,sigma_b,sigma_w,q_star,chi1,xi_q,xi_c,trainable_depth,stable,phase\n");
        return;
    }
    printf("# %s. q*: fixed point of the length map%s; xi: depth scales\n"
           "# (Schoenholz et al. 2017); networks deeper than ~6 xi_c do not train.\n",
           at_critical ? "Edge of chaos (chi1 = 1)" : "Mean-field theory at the given sigma_w",
           at_critical ? "" : " reached from x ~ N(0, 1)");
    printf("%-11s %8s %12s %11s %10s %9s %9s %9s  %-8s %s\n", "activation", "sigma_b",
           at_critical ? "sigma_w_crit" : "sigma_w", "q*", "chi1", "xi_q", "xi_c", "6 xi_c",
           "stable", "phase");
}

/* The rows of one activation and sigma_b: at the critical sigma_w, or at
 * each of scales. */
static void print_rows(bool csv, const gs_activation *act, double sigma_b, const gs_axis *scales) {
    const char *name = activation_name(act->kind);
    gs_fixed_point fp;
    if (scales->count == 0) {
        double sigma_w;
        bool found = theory_critical(act, sigma_b, &sigma_w, &fp);
        print_theory_row(csv, name, sigma_b, sigma_w, &fp, found ? "critical" : "none");
        return;
    }
    for (size_t w = 0; w < scales->count; w++) {
        gs_mean_field mf = {*act, scales->real[w], sigma_b};
        theory_fixed_point(&mf, mf.sigma_w * mf.sigma_w + sigma_b * sigma_b, &fp);
        print_theory_row(csv, name, sigma_b, mf.sigma_w, &fp, phase_name(fp.chi1));
    }
}

int theory_cli_run(const gs_cli *cli, gs_spec *spec, bool print, gs_error *err) {
    int rc = cli_apply(cli, spec, err);
    if (rc) return rc;
    if (!(spec->leaky_relu_slope >= 0 && spec->leaky_relu_slope < 1))
        return gs_fail(err, GS_EXIT_USAGE,
                       "--leaky-relu-slope: must be at least 0 and below 1, got %g",
                       spec->leaky_relu_slope);
    if (!print) return 0;
    const gs_axis *acts = &spec->axis[GS_AXIS_ACTIVATION], *biases = &spec->axis[GS_AXIS_SIGMA_B];
    const gs_axis *scales = &spec->axis[GS_AXIS_SIGMA_W];
    int n_acts = acts->count ? (int)acts->count : GS_ACT_COUNT;
    size_t n_biases = biases->count ? biases->count : 1; /* default: sigma_b = 0 */
    print_header(cli->csv, scales->count == 0);
    for (int a = 0; a < n_acts; a++) {
        gs_activation act = {acts->count ? (gs_activation_kind)acts->integer[a]
                                         : (gs_activation_kind)a,
                             spec->leaky_relu_slope};
        for (size_t b = 0; b < n_biases; b++)
            print_rows(cli->csv, &act, biases->count ? biases->real[b] : 0.0, scales);
    }
    return 0;
}
