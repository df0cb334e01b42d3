// The whole check: the reference backprop against finite differences, and the checker's power
// to fail when a mistake is planted.

#include "gradcheck/model/generators.hpp"
#include "support.hpp"

#include "gradcheck/check/check.hpp"
#include "gradcheck/model/course.hpp"
#include "gradcheck/diagnosis/mutants.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidcheck/boost_test.h>

using namespace gradcheck;

namespace {

Instance check_nn_gradients(double lambda) {
  return course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, lambda);
}

/// How far a planted mistake moves D from the reference's, entry by entry.
double effect(Mistake mistake, const Instance& n, const Tolerances& tolerances) {
  return support::max_relative_difference(backprop_with(mistake, n.problem, n.theta).D,
                                          gradcheck::backprop(n.problem, n.theta).D, tolerances.floor);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gradient_check)

BOOST_AUTO_TEST_CASE(checkNNGradientsSetupAgreesBelowOneInABillion) {
  // The course: "If your backpropagation implementation is correct, then the relative difference
  // will be small (less than 1e-9)", at λ = 0 (checkNNGradients) and λ = 3 (ex4).
  for (const double lambda : {0.0, 3.0}) {
    const Instance n = check_nn_gradients(lambda);
    const CheckResult r = check_reference(n.problem, n.theta, {});
    BOOST_TEST_INFO("λ = " << lambda);
    BOOST_TEST(r.pass);
    BOOST_TEST(r.norm_figure < 1e-9);
    BOOST_TEST(r.evaluations == 2u * 38u);
    BOOST_TEST(r.layers.size() == 2u);
  }
}

RC_BOOST_PROP(analyticGradientMatchesCentralDifferencesInEveryLayer, ()) {
  const auto c = *generate::network_case();
  RC_CLASSIFY(c.architecture.layers() > 3, "deep (L > 3)");
  RC_TAG(name(c.architecture.output));
  const Instance n = c.instance();
  const CheckResult r = check_reference(n.problem, n.theta, {});
  RC_CLASSIFY(r.kinks > 0, "some entries at a ReLU kink");
  RC_ASSERT(r.layers.size() == static_cast<std::size_t>(c.architecture.layers() - 1));
  for (const LayerReport& layer : r.layers) {
    RC_LOG() << "Θ^(" << layer.l << ") max relative error " << layer.max_relative_error << '\n';
    RC_ASSERT(layer.pass);
  }
  RC_ASSERT(r.pass);
}

RC_BOOST_PROP(checkerFailsWhenTheBiasColumnIsRegularized, ()) {
  const auto c = *generate::network_case(generate::architecture(), generate::lambda(1, 50));
  const Instance n = c.instance();
  const CheckOptions options;
  // The mistake adds (λ/m) Θ^(l)_i0 to D^(l)_i0; a case whose bias weights are all ~0 hides it.
  RC_PRE(effect(Mistake::bias_regularized, n, options.tolerances) > 10 * options.tolerances.entry);
  const CheckResult r = check_reference(n.problem, n.theta, options, Mistake::bias_regularized);
  RC_ASSERT(!r.pass);
  RC_ASSERT(r.worst.front().where.j == 0);  // the worst entry is a bias weight
}

RC_BOOST_PROP(checkerFailsWhenTheDerivativeIsDroppedFromDelta, ()) {
  // Sigmoid hidden layers (the course's): g′ ≤ 1/4, so dropping it changes δ^(l) by 4× or more.
  const auto c = *generate::network_case(generate::architecture(6, 8, rc::gen::just(Activation::sigmoid), 3));
  const Instance n = c.instance();
  const CheckOptions options;
  RC_PRE(effect(Mistake::derivative_dropped, n, options.tolerances) > 10 * options.tolerances.entry);
  const CheckResult r = check_reference(n.problem, n.theta, options, Mistake::derivative_dropped);
  RC_ASSERT(!r.pass);
  // δ^(L) is untouched, so D^(L−1) stays right and the mismatch is in the layers below it.
  RC_ASSERT(r.layers.back().pass);
}

BOOST_AUTO_TEST_CASE(everyPlantedMistakeFailsTheCoursesCheckInTheRightLayers) {
  const Instance n = check_nn_gradients(3);
  for (const Mistake mistake : mistakes) {
    const CheckResult r = check_reference(n.problem, n.theta, {}, mistake);
    BOOST_TEST_INFO("mistake: " << name(mistake));
    BOOST_TEST(!r.pass);
    const bool hidden_only = mistake == Mistake::derivative_dropped || mistake == Mistake::activation_for_derivative;
    BOOST_TEST(r.layers[1].pass == hidden_only);  // a δ^(2) mistake leaves D^(2) right
    BOOST_TEST(!r.layers[0].pass);
  }
}

BOOST_AUTO_TEST_CASE(aReluKinkInsideTheStepIsDetectedAndSkipped) {
  // 1-1-1 with a ReLU hidden unit sitting exactly on its kink: x = 1, Θ^(1) = [−0.5 0.5], so
  // z^(2) = 0. Moving Θ^(1)_{1,0} or Θ^(1)_{1,1} by ±ε crosses the kink; the central difference
  // then sees half a slope while backprop (g′(0) = 0) sees none.
  Instance n;
  n.problem.architecture = make_architecture("1-1-1", Activation::relu, Output::identity_quadratic);
  n.problem.X = Eigen::MatrixXd::Constant(1, 1, 1.0);
  n.problem.Y = Eigen::MatrixXd::Constant(1, 1, 1.0);
  n.theta = {(Eigen::MatrixXd(1, 2) << -0.5, 0.5).finished(), (Eigen::MatrixXd(1, 2) << 0.25, 2).finished()};
  const Eigen::VectorXd flat = unroll(n.theta);
  const std::vector<bool> kinks = kink_crossings(n.problem, flat, {});
  BOOST_TEST((kinks == std::vector<bool>{true, true, false, false}));

  const CheckResult r = check_reference(n.problem, n.theta, {});
  BOOST_TEST(r.pass);
  BOOST_TEST(r.kinks == 2);
  // Without the kink flags the same numbers fail: the finite difference measured a corner.
  const Eigen::VectorXd analytic = unroll(gradcheck::backprop(n.problem, n.theta).D);
  const CheckResult blind = check_gradient(reference_cost(n.problem), flat, analytic, Layout(n.problem.architecture), {});
  BOOST_TEST(!blind.pass);
  BOOST_TEST(!blind.layers[0].pass);
}

BOOST_AUTO_TEST_CASE(externalCostsAreCheckedThroughTheSameGenericEntryPoint) {
  // Any J: R^P → R with its claimed gradient: here J(θ) = Σ sin θ_k on a 2-1 layout.
  const Layout layout(std::vector<Index>{2, 1});
  const Eigen::VectorXd theta = (Eigen::VectorXd(3) << 0.1, 0.2, 0.3).finished();
  const auto J = [](const Eigen::VectorXd& t) { return t.array().sin().sum(); };
  const Eigen::VectorXd right = theta.array().cos();
  const Eigen::VectorXd wrong = -right;
  BOOST_TEST(check_gradient(J, theta, right, layout, {}).pass);
  const CheckResult r = check_gradient(J, theta, wrong, layout, {});
  BOOST_TEST(!r.pass);
  BOOST_TEST(r.worst.front().relative_error == 2.0, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(theOneCallCheckJudgesATinyGradientAndSettlesAKinkCrossedAtEpsilon) {
  // gradcheck::check(f, Θ): the course's network with J (and D) scaled by 1e-9, every entry of D
  // far below the floor. The floor alone passed −D; the finer differences judge it.
  const Instance n = course_instance(make_architecture("3-4-2", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  const auto scaled = [&](double sign) {
    return [&n, sign](const Weights<double>& theta, Weights<double>* gradient) {
      const Gradient<double> g = backprop(n.problem, theta);
      if (gradient) {
        *gradient = g.D;
        for (auto& D : *gradient) D *= sign * 1e-9;
      }
      return 1e-9 * g.J;
    };
  };
  BOOST_TEST(check(scaled(1), n.theta).pass);
  BOOST_TEST(!check(scaled(-1), n.theta).pass);
  BOOST_TEST(!check(scaled(-1), n.theta).cannot_judge);  // a FAIL, not a shrug

  // J with a corner 3e-5 from Θ^(1)_{1,0} (a ReLU unit's), inside ε = 1e-4: the difference at ε
  // measures the corner; at ε/10 the slope on θ's side, which a right D matches. (J's noise is
  // measured along the output layer too, which no corner crosses.)
  const Weights<double> theta{(Eigen::MatrixXd(1, 2) << 0.3, -0.2).finished(), (Eigen::MatrixXd(1, 2) << 0.7, 0.1).finished()};
  const double corner = 0.3 + 3e-5;
  const auto kinked = [&](const Weights<double>& t, Weights<double>* gradient) {
    const double x = t[0](0, 0);
    if (gradient) {
      *gradient = {2 * t[0], 2 * t[1]};
      (*gradient)[0](0, 0) += x > corner ? 0.5 : -0.5;
    }
    return t[0].squaredNorm() + t[1].squaredNorm() + 0.5 * std::abs(x - corner);
  };
  const CheckResult r = check(kinked, theta);
  BOOST_TEST(r.pass);
  BOOST_TEST(!r.cannot_judge);

  // The same corner on a single 1 × 2 tensor: a noise line over all of it crosses the corner, read
  // noise 1.8e-6, barred the look at ε/10, and FAILed the right D "beyond the noise". The line
  // over each half of it has one that does not cross.
  const Weights<double> one{(Eigen::MatrixXd(1, 2) << 0.3, -0.2).finished()};
  const auto kinked_one = [&](const Weights<double>& t, Weights<double>* gradient) {
    const double x = t[0](0, 0);
    if (gradient) {
      *gradient = {2 * t[0]};
      (*gradient)[0](0, 0) += x > corner ? 0.5 : -0.5;
    }
    return t[0].squaredNorm() + 0.5 * std::abs(x - corner);
  };
  BOOST_TEST(check(kinked_one, one).pass);
  const auto negated_one = [&](const Weights<double>& t, Weights<double>* gradient) {
    const double J = kinked_one(t, gradient);
    if (gradient) (*gradient)[0] *= -1;
    return J;
  };
  BOOST_TEST(!check(negated_one, one).pass);
}

BOOST_AUTO_TEST_CASE(aCornerCrossedAtEpsilonUnderANoisyJIsNotJudgedAndABugBesideItStillFails) {
  // The single tensor's corner 3e-5 from θ₀, with J rounded to float32: its noise bars the look at
  // ε/100, so the difference at ε, off by (ε − 3e-5)/2ε = 0.35 beyond the noise, FAILed a right D.
  // The one-sided slopes' gap at ε allows that corner, and the quotient at ε/10 agrees: unjudged.
  const double corner = 0.3 + 3e-5;
  const Weights<double> one{(Eigen::MatrixXd(1, 2) << 0.3, -0.2).finished()};
  const auto float32 = [&](double sign0, double sign1) {
    return [=](const Weights<double>& t, Weights<double>* gradient) {
      const double x = t[0](0, 0);
      if (gradient) {
        *gradient = {2 * t[0]};
        (*gradient)[0](0, 0) += x > corner ? 0.5 : -0.5;
        (*gradient)[0](0, 0) *= sign0;
        (*gradient)[0](0, 1) *= sign1;
      }
      return static_cast<double>(static_cast<float>(t[0].squaredNorm() + 0.5 * std::abs(x - corner)));
    };
  };
  const CheckResult right = check(float32(1, 1), one);
  BOOST_TEST(!right.pass);
  BOOST_TEST(right.cannot_judge.has_value());  // never a FAIL
  BOOST_TEST(right.layers[0].kinks == 1);
  // A wrong entry off the corner still FAILs; so does the corner's own entry negated, whose error
  // (2 × 0.9) no corner of that gap explains.
  const CheckResult beside = check(float32(1, -1), one);
  BOOST_TEST(!beside.pass);
  BOOST_TEST(!beside.cannot_judge);
  const CheckResult at = check(float32(-1, 1), one);
  BOOST_TEST(!at.pass);
  BOOST_TEST(!at.cannot_judge);
}

BOOST_AUTO_TEST_CASE(theNoiseOfJIsMeasuredSoAFloat32JIsNeverJudged) {
  // The course's J at θ + step·v, in double and rounded to float32 as a single-precision
  // implementation returns it: ECnoise finds rounding in the first and float32's in the second,
  // and only the second is refused (at the default ε, floor and tolerance).
  const Instance n = course_instance(make_architecture("3-5-3", Activation::sigmoid, Output::sigmoid_logistic), 5, 3);
  const Eigen::VectorXd theta = unroll(n.theta);
  const Layout layout(n.problem.architecture);
  const auto costs = [&](bool single) {
    return [&, single](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
      std::vector<double> J;
      for (const Point& p : at) {
        const double value = cost(n.problem, reroll(layout, Eigen::VectorXd(theta + p.step * directions[0])));
        J.push_back(single ? static_cast<double>(static_cast<float>(value)) : value);
      }
      return J;
    };
  };
  const FiniteDifference fd;
  const Tolerances t = default_tolerances(fd);
  const double J0 = cost(n.problem, n.theta);
  const double exact = measured_noise(costs(false), J0, theta.size(), fd.step);
  const double single = measured_noise(costs(true), static_cast<float>(J0), theta.size(), fd.step);
  BOOST_TEST(exact < 1e-13);
  BOOST_TEST(single > 1e-9);
  BOOST_TEST(cannot_judge(fd, J0, exact, t).empty());
  BOOST_TEST(!cannot_judge(fd, J0, single, t).empty());
}

RC_BOOST_PROP(aTinyJIsJudgedBelowTheFloorByFinerDifferences, ()) {
  // J and D scaled by 10^-k: from k ≈ 4 on every entry lies under the floor 1e-4, which alone
  // passes any value there. The second look's finer differences judge each with its own floor:
  // the right D passes and D with δ^(L) = y − a^(L) fails, at every scale.
  const auto c = *generate::network_case(
      generate::architecture(4, 6, rc::gen::element(Activation::sigmoid, Activation::tanh)));
  const int k = *rc::gen::inRange(0, 15);
  RC_TAG(k >= 4 ? "every entry under the floor" : "entries above the floor");
  const double scale = std::pow(10.0, -k);
  const Instance n = c.instance();
  const Layout layout(n.problem.architecture);
  const Eigen::VectorXd theta = unroll(n.theta);
  const auto J = [&](const Eigen::VectorXd& t) { return scale * cost(n.problem, reroll(layout, t)); };
  const auto along = [&](const std::vector<Point>& at, const std::vector<Eigen::VectorXd>& directions) {
    std::vector<double> values;
    for (const Point& p : at) values.push_back(J(theta + p.step * directions[static_cast<std::size_t>(p.index)]));
    return values;
  };
  const auto at_points = [&](const std::vector<Point>& at) {
    std::vector<double> values;
    for (const Point& p : at) {
      Eigen::VectorXd t = theta;
      t(p.index) += p.step;
      values.push_back(J(t));
    }
    return values;
  };
  const FiniteDifference fd;
  CheckOptions options;
  const double J0 = J(theta);
  const double noise = measured_noise(along, J0, theta.size(), fd.step);
  const auto judged = [&](const Eigen::VectorXd& analytic) {
    Measurements m;
    for (Index i = 0; i < theta.size(); ++i) m.coordinates.push_back(i);
    m.analytic = analytic;
    m.numerical = numerical_gradient_at_points(at_points, theta, fd, m.coordinates).gradient;
    second_look(at_points, m, layout, theta, fd, noise, J0, options.tolerances);
    return judge(layout, m, options);
  };
  RC_PRE(effect(Mistake::sign_flipped, n, options.tolerances) > 10 * options.tolerances.entry);
  const CheckResult right = judged(scale * unroll(gradcheck::backprop(n.problem, n.theta).D));
  const CheckResult wrong = judged(scale * unroll(backprop_with(Mistake::sign_flipped, n.problem, n.theta).D));
  RC_ASSERT(right.pass);
  for (const LayerReport& layer : right.layers) RC_ASSERT(!layer.unresolved);
  RC_ASSERT(!wrong.pass);
}

BOOST_AUTO_TEST_SUITE_END()
