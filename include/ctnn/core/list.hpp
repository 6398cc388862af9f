#pragma once
// Type lists and the few operations the graph code needs on them, written for a flat
// instantiation depth: membership is one base-class lookup, an index one overload resolution.

#include <cstddef>
#include <tuple>
#include <type_traits>

namespace ctnn::core {

template <class... T>
struct list {
  static constexpr std::size_t size = sizeof...(T);
};

template <class... A, class... B>
constexpr list<A..., B...> operator+(list<A...>, list<B...>) {
  return {};
}

template <class L, std::size_t K>
struct at;
template <class... T, std::size_t K>
struct at<list<T...>, K> {
  using type = std::tuple_element_t<K, std::tuple<T...>>;
};
template <class L, std::size_t K>
using at_t = typename at<L, K>::type;

// Membership: a set of tags is a class with one base per element.
template <class T>
struct tag {};
template <class... T>
struct tag_set : tag<T>... {};

template <class L, class T>
inline constexpr bool contains = false;
template <class... E, class T>
inline constexpr bool contains<list<E...>, T> = std::is_base_of_v<tag<T>, tag_set<E...>>;

// A followed by the elements of B that are not in A, in B's order (B has no duplicates).
template <class A, class B>
struct merge;
template <class... A, class... B>
struct merge<list<A...>, list<B...>> {
  using type = decltype((list<A...>{} + ... +
                         std::conditional_t<contains<list<A...>, B>, list<>, list<B>>{}));
};
template <class A, class B>
using merge_t = typename merge<A, B>::type;

// The lists merged left to right (the recursion is as deep as there are lists: a node's inputs).
template <class... Lists>
struct merge_all {
  using type = list<>;
};
template <class L>
struct merge_all<L> {
  using type = L;
};
template <class A, class B, class... Rest>
struct merge_all<A, B, Rest...> {
  using type = typename merge_all<merge_t<A, B>, Rest...>::type;
};

// The position of T in a list without duplicates: one overload resolution over indexed bases.
template <class T, std::size_t K>
struct indexed {};
template <class L, class Seq>
struct index_table;
template <class... T, std::size_t... K>
struct index_table<list<T...>, std::index_sequence<K...>> : indexed<T, K>... {};

template <class T, std::size_t K>
constexpr std::size_t index_from(const indexed<T, K>*) {
  return K;
}

template <class L, class T>
constexpr std::size_t index_of() {
  using table = index_table<L, std::make_index_sequence<L::size>>;
  return index_from<T>(static_cast<const table*>(nullptr));
}

}  // namespace ctnn::core
