/* SPDX-License-Identifier: Apache-2.0 */
/*
 * words_lbfgs: the L-BFGS solver of rules/tools/train_words.py (--solver
 * lbfgs), in C because the same steps in pure Python take minutes.
 *
 *   words_lbfgs PROBLEM WEIGHTS
 *
 * PROBLEM (written by train_words.py, lbfgs_problem()) is text:
 *
 *   replyscan-lbfgs 1
 *   classes C
 *   features F
 *   history H
 *   tol T
 *   most M
 *   scale
 *   F lines: feature j's L2 scale (decay times its occurrences)
 *   rows N
 *   N lines: WEIGHT CLASS K FEATURE_1 ... FEATURE_K
 *
 * (floats as Python's repr() writes them, which strtod() reads back to
 * the same double). It minimises
 *
 *   sum over rows of WEIGHT * softmax cross-entropy of CLASS
 *   + 1/2 * sum over features j and classes c of scale_j * x[j][c]^2
 *
 * where a class's score is its bias plus, per feature occurrence, that
 * feature's weight for the class (the biases are not decayed), by
 * full-batch L-BFGS from zero: H pairs of history, a backtracking line
 * search on sufficient decrease, stopping when no gradient entry is above
 * T or after M iterations. WEIGHTS gets the C * (F + 1) doubles (feature
 * rows in order, then the biases) in the machine's byte order; standard
 * output one line "iterations I objective V gradient G".
 *
 * Every step is the one of train_words.py's lbfgs_reference(), operation
 * for operation and sum for sum in the same order (a plain left-to-right
 * sum, as Python's sum() of floats), so that the two agree to the last
 * bits; this file is compiled without floating-point contraction
 * (CMakeLists.txt), so the same inputs give the same bytes on any
 * x86-64 machine with the same C library.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct problem {
	size_t classes;
	size_t features;
	size_t history;
	double tol;
	long most;
	double *scale; /* per feature */
	size_t nrows;
	double *weight; /* per row */
	size_t *label;  /* per row */
	size_t *start;  /* per row, into offs; nrows + 1 entries */
	size_t *offs;   /* feature index times classes */
	double *s, *p;  /* scores and exponentials, classes each */
	double *d;      /* a row's gradient, classes */
};

static void die(const char *what)
{
	fprintf(stderr, "words_lbfgs: %s\n", what);
	exit(2);
}

static void *alloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (p == NULL)
		die("out of memory");
	return p;
}

/* The input's words, one after another. */
struct reader {
	char *buf;
	char *at;
};

static char *word(struct reader *r)
{
	while (*r->at == ' ' || *r->at == '\n' || *r->at == '\t' ||
	       *r->at == '\r')
		r->at++;
	if (*r->at == '\0')
		die("PROBLEM ends early");
	char *w = r->at;
	while (*r->at && *r->at != ' ' && *r->at != '\n' && *r->at != '\t' &&
	       *r->at != '\r')
		r->at++;
	if (*r->at)
		*r->at++ = '\0';
	return w;
}

static void expect(struct reader *r, const char *want)
{
	if (strcmp(word(r), want) != 0) {
		fprintf(stderr, "words_lbfgs: PROBLEM: expected '%s'\n", want);
		exit(2);
	}
}

static double number(struct reader *r)
{
	char *w = word(r), *end;
	errno = 0;
	double v = strtod(w, &end);
	if (*end || errno)
		die("PROBLEM: a number is malformed");
	return v;
}

static size_t count(struct reader *r, size_t below)
{
	char *w = word(r), *end;
	errno = 0;
	unsigned long long v = strtoull(w, &end, 10);
	if (*end || errno || w[0] == '-' || v >= below)
		die("PROBLEM: a count or index is out of range");
	return (size_t)v;
}

static void read_problem(const char *path, struct problem *pb)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	size_t cap = 1 << 20, len = 0;
	char *buf = alloc(cap, 1);
	for (;;) {
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (len + 1 < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (buf == NULL)
			die("out of memory");
	}
	if (ferror(f))
		die("cannot read PROBLEM");
	fclose(f);
	buf[len] = '\0';
	struct reader r = {buf, buf};
	const size_t big = (size_t)1 << 40;

	expect(&r, "replyscan-lbfgs");
	expect(&r, "1");
	expect(&r, "classes");
	pb->classes = count(&r, 1 << 16);
	expect(&r, "features");
	pb->features = count(&r, big);
	expect(&r, "history");
	pb->history = count(&r, 1 << 10);
	expect(&r, "tol");
	pb->tol = number(&r);
	expect(&r, "most");
	pb->most = (long)count(&r, 1 << 30);
	if (pb->classes == 0)
		die("PROBLEM: no class");
	pb->scale = alloc(pb->features, sizeof(double));
	expect(&r, "scale");
	for (size_t j = 0; j < pb->features; j++)
		pb->scale[j] = number(&r);
	expect(&r, "rows");
	pb->nrows = count(&r, big);
	pb->weight = alloc(pb->nrows, sizeof(double));
	pb->label = alloc(pb->nrows, sizeof(size_t));
	pb->start = alloc(pb->nrows + 1, sizeof(size_t));
	size_t ocap = 1024, n = 0;
	pb->offs = alloc(ocap, sizeof(size_t));
	for (size_t i = 0; i < pb->nrows; i++) {
		pb->weight[i] = number(&r);
		pb->label[i] = count(&r, pb->classes);
		size_t k = count(&r, big);
		pb->start[i] = n;
		for (size_t m = 0; m < k; m++) {
			if (n == ocap) {
				ocap *= 2;
				pb->offs =
				    realloc(pb->offs, ocap * sizeof(size_t));
				if (pb->offs == NULL)
					die("out of memory");
			}
			pb->offs[n++] = pb->classes * count(&r, pb->features);
		}
	}
	pb->start[pb->nrows] = n;
	while (*r.at == ' ' || *r.at == '\n' || *r.at == '\t' || *r.at == '\r')
		r.at++;
	if (*r.at)
		die("PROBLEM: text after the last row");
	free(buf);
	pb->s = alloc(pb->classes, sizeof(double));
	pb->p = alloc(pb->classes, sizeof(double));
	pb->d = alloc(pb->classes, sizeof(double));
}

static void free_problem(struct problem *pb)
{
	free(pb->scale);
	free(pb->weight);
	free(pb->label);
	free(pb->start);
	free(pb->offs);
	free(pb->s);
	free(pb->p);
	free(pb->d);
}

/*
 * The objective at x and its gradient g; with r, x is first set to
 * x0 - step * r (the line search's point, in the same pass).
 */
static double value_grad(struct problem *pb, const double *x0, const double *r,
                         double step, double *x, double *g)
{
	const size_t C = pb->classes, B = C * pb->features;
	double acc = 0.0;
	for (size_t j = 0; j < pb->features; j++) {
		for (size_t c = 0; c < C; c++) {
			size_t i = j * C + c;
			if (r)
				x[i] = x0[i] - step * r[i];
			g[i] = pb->scale[j] * x[i];
			acc += g[i] * x[i];
		}
	}
	for (size_t c = 0; c < C; c++) {
		if (r)
			x[B + c] = x0[B + c] - step * r[B + c];
		g[B + c] = 0.0 * x[B + c];
		acc += g[B + c] * x[B + c];
	}
	double fx = 0.5 * acc;
	double *s = pb->s, *p = pb->p, *d = pb->d;
	for (size_t i = 0; i < pb->nrows; i++) {
		const size_t *o = pb->offs + pb->start[i];
		const size_t k = pb->start[i + 1] - pb->start[i];
		const double dw = pb->weight[i];
		const size_t y = pb->label[i];
		memcpy(s, x + B, C * sizeof(double));
		for (size_t m = 0; m < k; m++) {
			const double *row = x + o[m];
			for (size_t c = 0; c < C; c++)
				s[c] = s[c] + row[c];
		}
		double top = s[0];
		for (size_t c = 1; c < C; c++)
			if (s[c] > top)
				top = s[c];
		double z = 0.0;
		for (size_t c = 0; c < C; c++) {
			p[c] = exp(s[c] - top);
			z += p[c];
		}
		fx += dw * (log(z) + top - s[y]);
		for (size_t c = 0; c < C; c++)
			d[c] = dw * p[c] / z;
		d[y] -= dw;
		for (size_t m = 0; m < k; m++) {
			double *row = g + o[m];
			for (size_t c = 0; c < C; c++)
				row[c] = row[c] + d[c];
		}
		for (size_t c = 0; c < C; c++)
			g[B + c] = g[B + c] + d[c];
	}
	return fx;
}

static double largest(const double *g, size_t n)
{
	double m = 0.0;
	for (size_t i = 0; i < n; i++)
		if (fabs(g[i]) > m)
			m = fabs(g[i]);
	return m;
}

/*
 * The vector steps below are train_words.py's lbfgs_reference() with
 * neighbouring passes over the P entries done in one pass (each sum still
 * runs over the entries in order, on the values the reference sums): the
 * solver is bound by memory, not arithmetic.
 */
int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: words_lbfgs PROBLEM WEIGHTS\n");
		return 2;
	}
	struct problem pb;
	memset(&pb, 0, sizeof pb);
	read_problem(argv[1], &pb);
	const size_t C = pb.classes, P = C * (pb.features + 1);
	const size_t H = pb.history;
	double *x = alloc(P, sizeof(double)), *g = alloc(P, sizeof(double));
	double *xn = alloc(P, sizeof(double)), *gn = alloc(P, sizeof(double));
	double *r = alloc(P, sizeof(double));
	/*
	 * H pairs and one being made, S[0] the oldest; per pair 1 / (s.y),
	 * s.y and y.y (gamma's), and the first loop's alpha.
	 */
	double **S = alloc(H + 1, sizeof(double *));
	double **Y = alloc(H + 1, sizeof(double *));
	double *rho = alloc(H + 1, sizeof(double));
	double *sy = alloc(H + 1, sizeof(double));
	double *yy = alloc(H + 1, sizeof(double));
	double *alpha = alloc(H + 1, sizeof(double));
	for (size_t k = 0; k <= H; k++) {
		S[k] = alloc(P, sizeof(double));
		Y[k] = alloc(P, sizeof(double));
	}
	size_t m = 0;
	double fx = value_grad(&pb, NULL, NULL, 0.0, x, g);
	double gmax = largest(g, P);
	long it = 0;
	while (it < pb.most && !(gmax <= pb.tol)) {
		/* Two-loop recursion: r = H g. */
		double acc = 0.0, slope;
		if (m == 0) {
			for (size_t i = 0; i < P; i++)
				acc += g[i] * g[i];
			double gamma = 1.0 / sqrt(acc);
			acc = 0.0;
			for (size_t i = 0; i < P; i++) {
				r[i] = gamma * g[i];
				acc += g[i] * r[i];
			}
			slope = -acc;
		} else {
			size_t k = m - 1;
			for (size_t i = 0; i < P; i++) {
				r[i] = g[i];
				acc += S[k][i] * r[i];
			}
			for (;;) {
				double a = rho[k] * acc;
				alpha[k] = a;
				if (k == 0)
					break;
				acc = 0.0;
				for (size_t i = 0; i < P; i++) {
					r[i] = r[i] - a * Y[k][i];
					acc += S[k - 1][i] * r[i];
				}
				k--;
			}
			double gamma = sy[m - 1] / yy[m - 1];
			acc = 0.0;
			for (size_t i = 0; i < P; i++) {
				r[i] = r[i] - alpha[0] * Y[0][i];
				r[i] = gamma * r[i];
				acc += Y[0][i] * r[i];
			}
			for (k = 0;; k++) {
				double c = alpha[k] - rho[k] * acc;
				const double *next = k + 1 < m ? Y[k + 1] : g;
				acc = 0.0;
				for (size_t i = 0; i < P; i++) {
					r[i] = r[i] + c * S[k][i];
					acc += next[i] * r[i];
				}
				if (k + 1 == m)
					break;
			}
			slope = -acc;
		}
		if (slope >= 0) { /* not a descent direction: restart */
			m = 0;
			acc = 0.0;
			for (size_t i = 0; i < P; i++)
				acc += g[i] * g[i];
			double norm = sqrt(acc);
			acc = 0.0;
			for (size_t i = 0; i < P; i++) {
				r[i] = g[i] / norm;
				acc += g[i] * r[i];
			}
			slope = -acc;
		}
		double step = 1.0, fn;
		for (;;) {
			fn = value_grad(&pb, x, r, step, xn, gn);
			if (fn <= fx + 1e-4 * step * slope || step < 1e-10)
				break;
			step *= 0.5;
		}
		/* The new pair, its products and the next largest gradient. */
		double *s = S[m], *yv = Y[m], a1 = 0.0, a2 = 0.0;
		gmax = 0.0;
		for (size_t i = 0; i < P; i++) {
			s[i] = xn[i] - x[i];
			yv[i] = gn[i] - g[i];
			a1 += s[i] * yv[i];
			a2 += yv[i] * yv[i];
			if (fabs(gn[i]) > gmax)
				gmax = fabs(gn[i]);
		}
		if (a1 > 1e-12) {
			rho[m] = 1.0 / a1;
			sy[m] = a1;
			yy[m] = a2;
			if (++m > H) { /* drop the oldest pair */
				double *s0 = S[0], *y0 = Y[0];
				memmove(S, S + 1, H * sizeof(double *));
				memmove(Y, Y + 1, H * sizeof(double *));
				memmove(rho, rho + 1, H * sizeof(double));
				memmove(sy, sy + 1, H * sizeof(double));
				memmove(yy, yy + 1, H * sizeof(double));
				S[H] = s0;
				Y[H] = y0;
				m = H;
			}
		}
		double *t = x;
		x = xn;
		xn = t;
		t = g;
		g = gn;
		gn = t;
		fx = fn;
		it++;
		if (it % 10 == 0)
			fprintf(stderr,
			        "lbfgs: iteration %ld, objective %.6f, largest "
			        "gradient %.3g\n",
			        it, fx, gmax);
	}
	fprintf(stderr,
	        "lbfgs: %ld iterations, objective %.6f, largest gradient "
	        "%.3g\n",
	        it, fx, gmax);
	int rc = 0;
	FILE *out = fopen(argv[2], "wb");
	if (out == NULL) {
		rc = 2;
	} else {
		size_t n = fwrite(x, sizeof(double), P, out);
		if (fclose(out) != 0 || n != P)
			rc = 2;
	}
	if (rc != 0)
		perror(argv[2]);
	else
		printf("iterations %ld objective %.17g gradient %.17g\n", it,
		       fx, gmax);
	for (size_t k = 0; k <= H; k++) {
		free(S[k]);
		free(Y[k]);
	}
	free(S);
	free(Y);
	free(rho);
	free(sy);
	free(yy);
	free(alpha);
	free(x);
	free(g);
	free(xn);
	free(gn);
	free(r);
	free_problem(&pb);
	return rc;
}
